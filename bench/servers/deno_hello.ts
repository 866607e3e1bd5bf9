/** @module The limit: a raw `Deno.serve` hello world on PORT (same body and headers as the seeded script). */
const port = Number(Deno.env.get("PORT") ?? "8000");
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () => new Response("Hello World\n", { headers: { "content-type": "text/plain; charset=utf-8" } }),
);
