export default (req, ctx) => new Response(`fn ${ctx.app.slug} ${new URL(req.url).pathname}`);
