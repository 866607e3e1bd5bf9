/**
 * @module A router built on `URLPattern`: named groups, an optional segment, a wildcard, and a
 * 405 with `allow` for a known path under another method.
 */

type Handler = (
  req: Request,
  groups: Record<string, string | undefined>,
) => Response | Promise<Response>;

const routes: { method: string; pattern: URLPattern; handler: Handler }[] = [];

function on(method: string, pathname: string, handler: Handler): void {
  routes.push({ method, pattern: new URLPattern({ pathname }), handler });
}

on("GET", "/books", () => Response.json(["dune", "emma"]));
on("GET", "/books/:id(\\d+)", (_req, g) => Response.json({ id: Number(g.id) }));
on(
  "GET",
  "/books/:id(\\d+)/chapters/:chapter?",
  (_req, g) => Response.json({ id: Number(g.id), chapter: g.chapter ?? "all" }),
);
on("DELETE", "/books/:id(\\d+)", () => new Response(null, { status: 204 }));
on("GET", "/files/*", (_req, g) => new Response(`file: ${g[0]}`));

export default {
  async fetch(req: Request): Promise<Response> {
    const allowed: string[] = [];
    for (const route of routes) {
      const match = route.pattern.exec(req.url);
      if (!match) continue;
      if (route.method !== req.method) {
        allowed.push(route.method);
        continue;
      }
      return await route.handler(req, match.pathname.groups);
    }
    if (allowed.length > 0) {
      return new Response("method not allowed", {
        status: 405,
        headers: { allow: allowed.join(", ") },
      });
    }
    return new Response("not found", { status: 404 });
  },
};
