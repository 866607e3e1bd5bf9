/**
 * @module A multi-file TypeScript module: routes and helpers in their own files, imported through
 * an import map (`@/` is `./src/`) as well as by relative paths.
 */
import { listUsers, showUser } from "@/routes/users.ts";
import { json } from "./lib/http.ts";
import { VERSION } from "@/lib/version.ts";

export default {
  fetch(request: Request): Response {
    const { pathname } = new URL(request.url);
    if (pathname === "/users") return listUsers();
    const match = /^\/users\/(\d+)$/.exec(pathname);
    if (match) return showUser(Number(match[1]));
    if (pathname === "/version") return json({ version: VERSION });
    return json({ error: "not found" }, 404);
  },
};
