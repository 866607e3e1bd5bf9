/**
 * @module Server-sent events from a ReadableStream: a countdown sent one event at a time, then a
 * final event, and a plain chunked text stream on another path.
 */

const encoder = new TextEncoder();

function countdown(from) {
  let n = from;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (n > 0) {
        controller.enqueue(
          encoder.encode(`id: ${from - n + 1}\nevent: tick\ndata: ${JSON.stringify({ n })}\n\n`),
        );
        n--;
      } else {
        controller.enqueue(encoder.encode("event: done\ndata: liftoff\n\n"));
        controller.close();
      }
    },
  });
}

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/events") {
      const from = Math.min(Number(url.searchParams.get("from") ?? 3), 20);
      return new Response(countdown(from), {
        headers: {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        },
      });
    }
    const { readable, writable } = new TransformStream();
    (async () => {
      const writer = writable.getWriter();
      for (const word of ["alpha", "beta", "gamma", "delta"]) {
        await writer.write(encoder.encode(`${word}\n`));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await writer.close();
    })();
    return new Response(readable, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
