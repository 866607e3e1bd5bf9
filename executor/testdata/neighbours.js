// Scripts sharing one app: a slow upstream, a quick answer, a CPU-bound stretch, an upload.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/upstream":
        // An upstream that never answers in time (as a stalled fetch would).
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        return new Response("late");
      case "/spin": {
        const until = Date.now() + Number(url.searchParams.get("ms") ?? 0);
        while (Date.now() < until) { /* CPU-bound work */ }
        return new Response("spun");
      }
      case "/upload": {
        let bytes = 0;
        for await (const chunk of request.body) bytes += chunk.byteLength;
        return Response.json({ bytes });
      }
      default:
        return new Response("pong");
    }
  },
};
