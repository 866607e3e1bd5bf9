class MiniApp {
  constructor() {
    this.prefix = "hono-like";
  }
  fetch(req, env) {
    return new Response(`${this.prefix} ${new URL(req.url).pathname} ${env.app.slug}`);
  }
}
export default new MiniApp();
