/** Fault fixture: each path misbehaves in one way; GET /ok answers normally. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default {
  async fetch(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/ok":
        return new Response("ok");
      case "/loop":
        for (;;) { /* spin */ }
      case "/heap": {
        // 8 MB of pointers per step: reaches any heap cap within a few dozen steps, even on a
        // loaded machine, well before the wall-time limit.
        const keep: unknown[][] = [];
        for (;;) keep.push(new Array(1e6).fill(keep.length));
      }
      case "/arraybuffer": {
        const big = new Uint8Array(2 * 1024 ** 3);
        for (let i = 0; i < big.length; i += 4096) big[i] = 1;
        return new Response(String(big[0]));
      }
      case "/rejection":
        Promise.reject(new Error("nobody catches this"));
        await sleep(10);
        return new Response("still here");
      case "/exit":
        Deno.exit(3);
        return new Response("unreachable");
      case "/sigterm":
        Deno.addSignalListener("SIGTERM", () => {});
        return new Response("listening for SIGTERM");
      case "/hang":
        return await new Promise<Response>(() => {});
      case "/bigresponse": {
        let sent = 0;
        const chunk = new Uint8Array(1024 * 1024);
        return new Response(
          new ReadableStream({
            pull(c) {
              if (sent >= 1024) return c.close();
              sent++;
              c.enqueue(chunk);
            },
          }),
        );
      }
      case "/upload":
        return new Response(String((await req.arrayBuffer()).byteLength));
      default:
        return new Response("no such fault", { status: 404 });
    }
  },
};
