// Exercises the bounds of the in-memory cache and scheduler.wait.
export default {
  async fetch(request) {
    const op = new URL(request.url).searchParams.get("op");
    const c = caches.default;
    const mb = (n) => new Response(new Uint8Array(n));
    if (op === "evict") {
      for (let i = 0; i < 10; i++) await c.put(`http://k/${i}`, mb(1_000_000));
      const first = await c.match("http://k/0");
      const last = await c.match("http://k/9");
      await c.put("http://k/big", mb(2 * 1024 * 1024));
      const big = await c.match("http://k/big");
      return Response.json({
        first: !!first,
        last: (await last.arrayBuffer()).byteLength,
        big: !!big,
      });
    }
    if (op === "rules") {
      await c.put("http://k/ns", new Response("x", { headers: { "cache-control": "no-store" } }));
      await c.put("http://k/ok", new Response("y"));
      let post = "accepted";
      try {
        await c.put(new Request("http://k/p", { method: "POST" }), new Response("z"));
      } catch (e) {
        post = e.name;
      }
      const named = await caches.open("mine");
      await named.put("http://k/ok", new Response("named"));
      const t0 = Date.now();
      await scheduler.wait(50);
      return Response.json({
        noStore: !!(await c.match("http://k/ns")),
        ok: await (await c.match("http://k/ok")).text(),
        named: await (await named.match("http://k/ok")).text(),
        deleted: await c.delete("http://k/ok"),
        post,
        waitedMs: Date.now() - t0 >= 45,
      });
    }
    return new Response("?", { status: 400 });
  },
};
