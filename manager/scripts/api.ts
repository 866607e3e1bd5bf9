/**
 * @module REST endpoints for scripts and their immutable versions: read needs app viewer; deploy,
 * rollback, rename and delete need app editor. Every deploy is checked in the sandbox first.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { sha256Hex } from "../../common/hash.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { jsonBody, parseInput } from "../validate.ts";
import { scriptFor, scriptIdParams, scriptNotFound } from "./_lookup.ts";
import {
  activateVersion,
  deleteScript,
  findScript,
  findVersion,
  insertActiveVersion,
  insertScript,
  listScripts,
  listVersions,
  updateScript,
} from "./repo.ts";
import {
  compileError,
  createScript,
  createVersion,
  errorSchema,
  listQuery,
  patchScript,
  scriptSchema,
  versionParams,
  versionSchema,
} from "./schemas.ts";
import { bindScriptSettingsApi, settingsDocs } from "./settings_api.ts";

export { MAX_SOURCE_BYTES } from "./schemas.ts";

/** Longest a deploy check may take to load a module (capped by the platform timeout). */
export const CHECK_TIMEOUT_MS = 5_000;

/** Binds `/scripts` under the admin router (settings endpoints included). */
export function bindScriptsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "me.read");
    const appParam = parseInput(listQuery, c.req.query()).app;
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
    await compileCheck(deps, app.id, input.source);
    const hash = await sha256Hex(input.source);
    const id = await deps.sql.begin(async (tx) => {
      const script = await insertScript(tx, {
        appId: app.id,
        name: input.name,
        description: input.description,
      });
      if (!script) throw nameTaken(input.name);
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
    const { script } = await scriptFor(c, deps, "script.read");
    return c.json(script);
  });

  api.patch("/:id", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.write");
    const input = await jsonBody(c, patchScript);
    await deps.sql.begin(async (tx) => {
      const after = await updateScript(tx, script.id, input);
      if (after === null) throw scriptNotFound(script.id);
      if (after === "name_taken") throw nameTaken(input.name!);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.update",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: { name: script.name, description: script.description },
        after,
      });
    }).catch((err) => {
      // Two renames to one free name race past the check: the unique index decides.
      if ((err as { code?: string }).code === "23505") throw nameTaken(input.name ?? "");
      throw err;
    });
    await deps.routing.notifyChanged();
    return c.json(await findScript(deps.sql, script.id));
  });

  api.delete("/:id", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.write");
    await deps.sql.begin(async (tx) => {
      if (!await deleteScript(tx, script.id)) throw scriptNotFound(script.id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.delete",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: { name: script.name, active_version: script.active_version },
        after: null,
      });
    });
    await deps.routing.notifyChanged();
    return c.body(null, 204);
  });

  api.get("/:id/versions", async (c) => {
    const { script } = await scriptFor(c, deps, "script.read");
    return c.json({ items: await listVersions(deps.sql, script.id) });
  });

  api.post("/:id/versions", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.deploy");
    const input = await jsonBody(c, createVersion);
    await compileCheck(deps, script.app_id, input.source);
    const hash = await sha256Hex(input.source);
    const version = await deps.sql.begin(async (tx) => {
      const version = await insertActiveVersion(tx, {
        scriptId: script.id,
        source: input.source,
        hash,
        createdBy: p.userId,
      });
      if (!version) throw scriptNotFound(script.id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.deploy",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: { version: script.active_version },
        after: { version: version.version, hash },
      });
      return version;
    });
    await deps.routing.notifyChanged();
    return c.json(version, 201);
  });

  api.get("/:id/versions/:n{[0-9]+}", async (c) => {
    const { script } = await scriptFor(c, deps, "script.read");
    const { n } = parseInput(versionParams, c.req.param());
    const version = await findVersion(deps.sql, script.id, n);
    if (!version) throw versionNotFound(script.id, n);
    return c.json(version);
  });

  // Hono has no literal after a parameter in one segment: the pattern takes the whole segment.
  api.post("/:id/versions/:target{[0-9]+:activate}", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.deploy");
    const { n } = parseInput(versionParams, {
      id: c.req.param("id"),
      n: c.req.param("target").split(":")[0],
    });
    const result = await deps.sql.begin(async (tx) => {
      const r = await activateVersion(tx, script.id, n);
      if (r === "script_missing") throw scriptNotFound(script.id);
      if (r === "version_missing") throw versionNotFound(script.id, n);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.activate",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: { version: r.before },
        after: { version: r.after.version, hash: r.after.hash },
      });
      return r.after;
    });
    await deps.routing.notifyChanged();
    return c.json({ ...result, active: true });
  });

  api.route("/", bindScriptSettingsApi(deps));
  return api;
}

/** Loads the source in the real sandbox; refuses it with 422 `compile_error` if it cannot run. */
async function compileCheck(deps: ManagerDeps, appId: string, source: string): Promise<void> {
  const diagnostics = await deps.pool.check({
    appId,
    source,
    timeoutMs: Math.min(deps.config.limits.timeoutMs, CHECK_TIMEOUT_MS),
    memoryLimitMb: deps.config.limits.memoryLimitMb,
  });
  if (diagnostics[0]?.busy) {
    throw new ApiError("capacity", "Every executor slot is busy; try the deploy again", {
      retry_after_s: 1,
    });
  }
  if (diagnostics.length > 0) {
    throw new ApiError("compile_error", `The script cannot run: ${diagnostics[0].message}`, {
      diagnostics,
    });
  }
}

function appNotFound(ref: string) {
  return new ApiError("app_not_found", `No app ${ref}`);
}

function nameTaken(name: string) {
  return new ApiError("script_exists", `A script named ${name} already exists`);
}

function versionNotFound(id: string, n: number) {
  return new ApiError("version_not_found", `Script ${id} has no version ${n}`);
}

const P = "/api/v1/admin/scripts";
const err = (description: string) => ({ description, schema: errorSchema });
const notFound = err("No such script (or not visible)");

/** Every endpoint of this router, for the OpenAPI document. */
export const scriptsDocs: EndpointDoc[] = [
  {
    method: "get",
    path: P,
    summary: "List scripts (all visible apps, or one app)",
    action: "script.read",
    tag: "scripts",
    query: listQuery,
    responses: {
      200: { description: "Scripts", schema: z.object({ items: z.array(scriptSchema) }) },
      404: err("No such app"),
    },
  },
  {
    method: "post",
    path: P,
    summary: "Create a script with its first version (checked in the sandbox first)",
    action: "script.deploy",
    tag: "scripts",
    body: createScript,
    responses: {
      201: { description: "Created", schema: scriptSchema },
      400: err("Invalid request"),
      404: err("No such app"),
      409: err("script_exists"),
      422: { description: "compile_error with diagnostics", schema: compileError },
      503: { description: "`capacity`: every executor slot is busy; retry" },
    },
  },
  {
    method: "get",
    path: `${P}/{id}`,
    summary: "Get a script",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "The script", schema: scriptSchema }, 404: notFound },
  },
  {
    method: "patch",
    path: `${P}/{id}`,
    summary: "Rename a script or change its description",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: patchScript,
    responses: {
      200: { description: "The script", schema: scriptSchema },
      400: err("Invalid request"),
      404: notFound,
      409: err("script_exists"),
    },
  },
  {
    method: "delete",
    path: `${P}/{id}`,
    summary: "Delete a script with its versions, routes and schedules",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 204: { description: "Deleted" }, 404: notFound },
  },
  {
    method: "get",
    path: `${P}/{id}/versions`,
    summary: "List a script's versions, newest first (no source)",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: {
      200: { description: "Versions", schema: z.object({ items: z.array(versionSchema) }) },
      404: notFound,
    },
  },
  {
    method: "post",
    path: `${P}/{id}/versions`,
    summary: "Deploy a new version (checked in the sandbox, live on the next request)",
    action: "script.deploy",
    tag: "scripts",
    params: scriptIdParams,
    body: createVersion,
    responses: {
      201: { description: "The new active version", schema: versionSchema },
      400: err("Invalid request"),
      404: notFound,
      422: { description: "compile_error with diagnostics", schema: compileError },
      503: { description: "`capacity`: every executor slot is busy; retry" },
    },
  },
  {
    method: "get",
    path: `${P}/{id}/versions/{n}`,
    summary: "Get one version with its source",
    action: "script.read",
    tag: "scripts",
    params: versionParams,
    responses: {
      200: { description: "The version", schema: versionSchema.extend({ source: z.string() }) },
      404: err("script_not_found or version_not_found"),
    },
  },
  {
    method: "post",
    path: `${P}/{id}/versions/{n}:activate`,
    summary: "Make an existing version active (rollback); live on the next request",
    action: "script.deploy",
    tag: "scripts",
    params: versionParams,
    responses: {
      200: { description: "The now active version", schema: versionSchema },
      404: err("script_not_found or version_not_found"),
    },
  },
  ...settingsDocs,
];
