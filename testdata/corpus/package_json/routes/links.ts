/** @module `/links`: expand a short code, or validate a new link. */
import { Hono } from "hono";
import { z } from "zod";

const known: Record<string, string> = { docs: "https://docs.example.com/start" };

const NewLink = z.object({ code: z.string().regex(/^[a-z0-9-]{2,20}$/), url: z.url() });

/** The links sub-app. */
export const links = new Hono()
  .get("/:code", (c) => {
    const target = known[c.req.param("code")];
    return target ? c.redirect(target, 302) : c.text("unknown link", 404);
  })
  .post("/", async (c) => {
    const parsed = NewLink.safeParse(await c.req.json());
    return parsed.success ? c.json(parsed.data, 201) : c.json({ error: "invalid link" }, 400);
  });
