/**
 * @module A Workers script in the older service-worker syntax: a `fetch` listener answering with
 * `event.respondWith`, background work with `event.waitUntil`, and a var read as a global
 * (`GREETING`), as Workers bind vars for this syntax.
 */

let hits = 0;

addEventListener("fetch", (event) => {
  event.respondWith(handleRequest(event.request));
  event.waitUntil(
    new Promise((resolve) => setTimeout(resolve, 5)).then(() => {
      hits++;
    }),
  );
});

async function handleRequest(request) {
  const url = new URL(request.url);
  if (url.pathname === "/hits") return new Response(JSON.stringify({ hits }));
  if (request.method === "POST") {
    const body = await request.text();
    return new Response(`${GREETING}: ${body.length} bytes`, { status: 201 });
  }
  return new Response(`${GREETING} from ${url.pathname}`, {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
