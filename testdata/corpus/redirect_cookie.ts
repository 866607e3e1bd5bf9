/**
 * @module A sign-in flow with redirects and cookies: a form post sets two cookies and redirects
 * (303), a page reads the session cookie back, sign-out expires it, old paths move (301/308).
 */

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/old-home") return Response.redirect(new URL("/", url), 301);
    if (url.pathname === "/api/v1/ping") {
      return Response.redirect(new URL("/api/v2/ping", url), 308);
    }
    if (url.pathname === "/login" && req.method === "POST") {
      const form = await req.formData();
      const user = String(form.get("user") ?? "");
      if (user === "") return new Response("user is required", { status: 400 });
      const headers = new Headers({ location: "/me" });
      headers.append(
        "set-cookie",
        `session=${encodeURIComponent(user)}; Path=/; HttpOnly; SameSite=Lax`,
      );
      headers.append("set-cookie", "theme=dark; Path=/; Max-Age=31536000");
      return new Response(null, { status: 303, headers });
    }
    if (url.pathname === "/me") {
      const session = cookies(req).session;
      if (!session) return new Response(null, { status: 302, headers: { location: "/login" } });
      return new Response(`signed in as ${session} (theme ${cookies(req).theme ?? "light"})`);
    }
    if (url.pathname === "/logout") {
      return new Response(null, {
        status: 303,
        headers: { location: "/", "set-cookie": "session=; Path=/; Max-Age=0" },
      });
    }
    return new Response("home");
  },
};
