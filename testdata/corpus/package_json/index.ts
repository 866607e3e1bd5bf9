/**
 * @module A link shortener whose dependencies come from package.json (version ranges, bare
 * imports), as an npm project has them; its routes live in a sub-app of their own.
 */
import { Hono } from "hono";
import { links } from "./routes/links.ts";

const app = new Hono();
app.route("/links", links);
app.get("/health", (c) => c.json({ ok: true }));

export default app;
