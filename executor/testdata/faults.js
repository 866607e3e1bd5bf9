export default {
  async fetch(req) {
    const query = new URL(req.url).searchParams;
    const mode = query.get("mode");
    if (mode === "exit") Deno.exit(7);
    if (mode === "process-exit") globalThis.process.exit(3);
    if (mode === "throw") throw new Error("secret-token-123 leaked?");
    if (mode === "non-response") return { status: 200 };
    if (mode === "big") return new Response(new Uint8Array(200 * 1024));
    if (mode === "uncaught") {
      setTimeout(() => {
        throw new Error("async boom");
      }, 0);
    }
    if (mode === "reject") Promise.reject(new Error("unhandled"));
    if (mode === "slow") await new Promise((r) => setTimeout(r, 300));
    if (mode === "hang") await new Promise((r) => setTimeout(r, 3_000));
    if (mode === "never") await new Promise(() => {});
    if (mode === "burn") {
      const until = Date.now() + Number(query.get("ms"));
      while (Date.now() < until);
    }
    if (mode === "echo") return new Response(await req.arrayBuffer());
    return new Response("fine");
  },
};
