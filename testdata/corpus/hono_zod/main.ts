/**
 * @module A Hono app from npm with zod validation: a small notes API whose request bodies and
 * query strings are checked by schemas before the handlers read them.
 */
// deno-lint-ignore-file no-import-prefix -- a one-file deploy names its packages inline
import { Hono } from "npm:hono@4.13.19";
import { z } from "npm:zod@4.6.7";

const Note = z.object({
  title: z.string().min(1).max(80),
  tags: z.array(z.string()).max(5).default([]),
  priority: z.enum(["low", "normal", "high"]).default("normal"),
});

const Page = z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) });

const app = new Hono();

app.get("/", (c) => c.text("notes api"));

app.get("/notes", (c) => {
  const page = Page.safeParse(c.req.query());
  if (!page.success) return c.json({ error: "bad query", issues: page.error.issues.length }, 400);
  return c.json({ limit: page.data.limit, items: [] });
});

app.post("/notes", async (c) => {
  const body = Note.safeParse(await c.req.json().catch(() => null));
  if (!body.success) {
    return c.json(
      { error: "invalid note", fields: body.error.issues.map((i) => i.path.join(".")) },
      422,
    );
  }
  return c.json({ id: crypto.randomUUID().length, ...body.data }, 201);
});

app.notFound((c) => c.json({ error: `no route for ${c.req.path}` }, 404));

export default app;
