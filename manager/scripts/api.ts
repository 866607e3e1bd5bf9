/** @module REST endpoints for scripts and versions: read needs app viewer, deploy app editor. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { sha256Hex } from "../../common/hash.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { visibleAppIds } from "../authz.ts";
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
export function bindScriptsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "me.read");
    const appParam = c.req.query("app");
    if (!appParam) return c.json({ items: await listScripts(deps.sql, visibleAppIds(p)) });
    const app = await findApp(deps.sql, appParam);
    const notFound = appNotFound(appParam);
    if (!app) throw notFound;
    authorize(c, "script.read", { appId: app.id, notFound });
    return c.json({ items: await listScripts(deps.sql, [app.id]) });
  });

  api.post("/", async (c) => {
    authorize(c, "me.read");
    const input = await jsonBody(c, createScript);
    const app = await findApp(deps.sql, input.app_id);
    const notFound = appNotFound(input.app_id);
    if (!app) throw notFound;
    const p = authorize(c, "script.deploy", { appId: app.id, notFound });
    const hash = await sha256Hex(input.source);
    const id = await deps.sql.begin(async (tx) => {
      const script = await insertScript(tx, {
        appId: app.id,
        name: input.name,
        description: input.description,
      });
      if (!script) {
        throw new ApiError(409, "script_exists", `A script named ${input.name} already exists`);
      }
      const version = await insertActiveVersion(tx, {
        scriptId: script.id,
        source: input.source,
        hash,
        createdBy: p.userId,
      });
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.create",
        resourceType: "script",
        resourceId: script.id,
        appId: app.id,
        before: null,
        after: {
          name: input.name,
          description: input.description,
          version: version?.version,
          hash,
        },
      });
      return script.id;
    });
    await deps.routing.notifyChanged();
    return c.json(await findScript(deps.sql, id), 201);
  });

  api.get("/:id", async (c) => {
    authorize(c, "me.read");
    const id = c.req.param("id");
    const script = uuid.safeParse(id).success ? await findScript(deps.sql, id) : null;
    if (!script) throw scriptNotFound(id);
    authorize(c, "script.read", { appId: script.app_id, notFound: scriptNotFound(id) });
    return c.json(script);
  });

  api.post("/:id/versions", async (c) => {
    authorize(c, "me.read");
    const id = c.req.param("id");
    const script = uuid.safeParse(id).success ? await findScript(deps.sql, id) : null;
    if (!script) throw scriptNotFound(id);
    const p = authorize(c, "script.deploy", { appId: script.app_id, notFound: scriptNotFound(id) });
    const input = await jsonBody(c, createVersion);
    const hash = await sha256Hex(input.source);
    const version = await deps.sql.begin(async (tx) => {
      const version = await insertActiveVersion(tx, {
        scriptId: id,
        source: input.source,
        hash,
        createdBy: p.userId,
      });
      if (!version) return null;
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.deploy",
        resourceType: "script",
        resourceId: id,
        appId: script.app_id,
        before: { version: script.active_version },
        after: { version: version.version, hash },
      });
      return version;
    });
    if (!version) throw scriptNotFound(id);
    await deps.routing.notifyChanged();
    return c.json(version, 201);
  });

  return api;
}

function appNotFound(ref: string) {
  return new ApiError(404, "app_not_found", `No app ${ref}`);
}

function scriptNotFound(id: string) {
  return new ApiError(404, "script_not_found", `No script ${id}`);
}
