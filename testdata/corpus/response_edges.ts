/**
 * @module Response edge cases: `Response.json` with a status and headers, 204 and 304 without a
 * body, repeated headers, a custom status text, a non-ASCII body, an empty 200, and a thrown error.
 */

export default {
  fetch(req: Request): Response {
    const { pathname } = new URL(req.url);
    switch (pathname) {
      case "/created":
        return Response.json({ id: 7, name: "ünïcode ✓" }, {
          status: 201,
          statusText: "Made It",
          headers: { "x-request-kind": "create", "cache-control": "no-store" },
        });
      case "/empty":
        return new Response(null, { status: 204, headers: { "x-empty": "yes" } });
      case "/not-modified":
        return new Response(null, { status: 304, headers: { etag: '"v1"' } });
      case "/vary": {
        const headers = new Headers();
        headers.append("vary", "accept");
        headers.append("vary", "accept-encoding");
        headers.append("x-multi", "a");
        headers.append("x-multi", "b");
        return new Response("varied", { headers });
      }
      case "/text":
        return new Response("grüße, 世界");
      case "/blank":
        return new Response("");
      case "/teapot":
        return Response.json({ error: "short and stout" }, { status: 418 });
      case "/bytes":
        return new Response(new Uint8Array([0, 1, 2, 253, 254, 255]), {
          headers: { "content-type": "application/octet-stream" },
        });
      case "/throw":
        throw new Error("boom");
      default:
        return Response.json({ path: pathname }, { status: 404 });
    }
  },
};
