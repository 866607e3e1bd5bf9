/** @module REST endpoints for scripts and versions (the minimal deploy path of this slice). */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { sha256Hex } from "../../common/hash.ts";
import { findApp } from "../apps/repo.ts";
import type { ManagerDeps } from "../deps.ts";
import { jsonBody } from "../validate.ts";
import { findScript, insertActiveVersion, insertScript, listScripts } from "./repo.ts";

/** Largest script source accepted, in bytes. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

const source = z.string().min(1).max(MAX_SOURCE_BYTES);
const createScript = z.strictObject({
  app_id: z.string().min(1).max(200).default("default"),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "Use letters, digits, . _ -"),
  description: z.string().max(2000).default(""),
  source,
});
const createVersion = z.strictObject({ source });
const uuid = z.uuid();

/** Binds `/scripts` under the admin router. */
export function bindScriptsApi(deps: ManagerDeps): Hono {
  const api = new Hono();

  api.get("/", async (c) => {
    const appParam = c.req.query("app");
    const app = appParam ? await findApp(deps.sql, appParam) : null;
    if (appParam && !app) throw new ApiError(404, "app_not_found", `No app ${appParam}`);
    return c.json({ items: await listScripts(deps.sql, app?.id ?? null) });
  });

  api.post("/", async (c) => {
    const input = await jsonBody(c, createScript);
    const hash = await sha256Hex(input.source);
    const id = await deps.sql.begin(async (tx) => {
      const app = await findApp(tx, input.app_id);
      if (!app) throw new ApiError(404, "app_not_found", `No app ${input.app_id}`);
      const script = await insertScript(tx, {
        appId: app.id,
        name: input.name,
        description: input.description,
      });
      if (!script) {
        throw new ApiError(409, "script_exists", `A script named ${input.name} already exists`);
      }
      await insertActiveVersion(tx, {
        scriptId: script.id,
        source: input.source,
        hash,
        createdBy: null,
      });
      return script.id;
    });
    await deps.routing.notifyChanged();
    return c.json(await findScript(deps.sql, id), 201);
  });

  api.get("/:id", async (c) => {
    const script = await scriptOr404(deps, c.req.param("id"));
    return c.json(script);
  });

  api.post("/:id/versions", async (c) => {
    const id = c.req.param("id");
    const input = await jsonBody(c, createVersion);
    const hash = await sha256Hex(input.source);
    if (!uuid.safeParse(id).success) throw scriptNotFound(id);
    const version = await deps.sql.begin((tx) =>
      insertActiveVersion(tx, { scriptId: id, source: input.source, hash, createdBy: null })
    );
    if (!version) throw scriptNotFound(id);
    await deps.routing.notifyChanged();
    return c.json(version, 201);
  });

  return api;
}

function scriptNotFound(id: string) {
  return new ApiError(404, "script_not_found", `No script ${id}`);
}

async function scriptOr404(deps: ManagerDeps, id: string) {
  const script = uuid.safeParse(id).success ? await findScript(deps.sql, id) : null;
  if (!script) throw scriptNotFound(id);
  return script;
}
