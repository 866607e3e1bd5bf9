// Streaming both ways: echo, server-sent events, a producer that counts what it was asked for,
// and a stream that waits for its client to go away.
let produced = 0;
let aborted = 0;
const enc = new TextEncoder();

export default {
  async fetch(request, _env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/echo") {
      // Each chunk of the request body goes back as soon as it arrives.
      return new Response(request.body.pipeThrough(new TransformStream()));
    }
    if (path === "/chunks") {
      // The sizes of the body chunks as the script saw them.
      const sizes = [];
      for await (const chunk of request.body) sizes.push(chunk.byteLength);
      return Response.json({ sizes });
    }
    if (path === "/sse") {
      let n = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            controller.enqueue(enc.encode(`data: ${++n}\n\n`));
            if (n === 3) controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    if (path === "/endless") {
      produced = 0;
      const chunk = new Uint8Array(64 * 1024);
      return new Response(
        new ReadableStream({
          async pull(controller) {
            // Produced as fast as it is asked for, one event-loop turn per chunk.
            await new Promise((resolve) => setTimeout(resolve, 0));
            produced++;
            controller.enqueue(chunk);
          },
        }),
      );
    }
    if (path === "/produced") return Response.json({ produced });
    if (path === "/hold") {
      request.signal.addEventListener("abort", () => aborted++);
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(enc.encode("first\n"));
          },
        }),
      );
    }
    if (path === "/aborted") return Response.json({ aborted });
    if (path === "/ignore-body") return new Response("answered without reading");
    if (path === "/big") {
      return new Response(new Uint8Array(Number(new URL(request.url).searchParams.get("n"))));
    }
    if (path === "/bigstream" || path === "/bigsync") {
      const n = Number(new URL(request.url).searchParams.get("n"));
      const sync = path === "/bigsync";
      let sent = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            if (!sync) await new Promise((resolve) => setTimeout(resolve, 0));
            if (sent >= n) return controller.close();
            sent += 16 * 1024;
            controller.enqueue(new Uint8Array(16 * 1024));
          },
        }),
      );
    }
    if (path === "/read-fails") {
      try {
        await request.arrayBuffer();
        return new Response("read everything");
      } catch (err) {
        ctx.waitUntil(Promise.resolve());
        return new Response(`read failed: ${err.message}`);
      }
    }
    return new Response("not found", { status: 404 });
  },
};
