/**
 * @module `/api/v1/admin/scripts`: scripts and their immutable versions — read needs app viewer;
 * deploy, rollback, rename and delete need app editor. Every deploy is checked in the sandbox
 * first. Parse, call the service, respond; the env and policy endpoints are bound here too.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import {
  compileError,
  listQuery,
  patchScript,
  scriptIdParams,
  scriptSchema,
  versionParams,
  versionSchema,
} from "./schemas.ts";
import { createScript, deleteScript, listScripts, scriptFor, updateScript } from "./service.ts";
import { bindScriptSettingsApi } from "./settings_api.ts";
import { createScriptBody, deployBody, deployQuery, uploadOf } from "./upload.ts";
import { uploadMedia } from "./upload_media.ts";
import { activateVersion, deployUpload, getVersion, listVersions } from "./versions_service.ts";

const notFound = { description: "`script_not_found`: no such script (or not visible)" };
const versionNotFound = { description: "`script_not_found` or `version_not_found`" };
/** How a deploy is refused: the same for a new script and a new version. */
const deployRefused = {
  description: "`compile_error` with diagnostics; `bundle_failed` (diagnostics at the " +
    "upload's file, line and column, or the bundler's time or memory limit); " +
    "`dependency_unavailable` (an npm package neither cached nor fetchable); " +
    "`unsupported_api` (`details.api`: a Workers API PiCloud does not provide, such as " +
    "`HTMLRewriter`, `WebSocketPair` or a `cloudflare:` module, named with what to do)",
  schema: compileError,
};
const busy = {
  description: "`capacity`: every executor slot is busy, or other deploys are being bundled; retry",
};

/** Binds `/scripts` under the admin router (settings endpoints included). */
export function bindScriptsApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "List scripts (all visible apps, or one app)",
    action: "script.read",
    tag: "scripts",
    query: listQuery,
    responses: {
      200: { description: "Scripts", schema: z.object({ items: z.array(scriptSchema) }) },
    },
  }, async ({ p, query }, c) => c.json({ items: await listScripts(deps, p, query.app) }));

  r.add({
    method: "post",
    path: "",
    summary: "Create a script with its first version: one source, or files bundled like any deploy",
    action: "script.deploy",
    tag: "scripts",
    body: createScriptBody,
    responses: {
      201: { description: "Created", schema: scriptSchema },
      400: {
        description: "`invalid_request`, or `invalid_upload`: a file name, the entry or a " +
          "dependency is refused",
      },
      409: { description: "`script_exists`: the app has a script of this name" },
      422: deployRefused,
      503: busy,
    },
  }, async ({ p, body }, c) => c.json(await createScript(deps, p, body), 201));

  r.add({
    method: "get",
    path: "/{id}",
    summary: "Get a script",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "The script", schema: scriptSchema }, 404: notFound },
  }, async ({ p, params }, c) => c.json(await scriptFor(deps, p, params.id, "script.read")));

  r.add({
    method: "patch",
    path: "/{id}",
    summary: "Rename a script or change its description",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: patchScript,
    responses: {
      200: { description: "The script", schema: scriptSchema },
      404: notFound,
      409: { description: "`script_exists`: the app has a script of this name" },
    },
  }, async ({ p, params, body }, c) => c.json(await updateScript(deps, p, params.id, body)));

  r.add({
    method: "delete",
    path: "/{id}",
    summary: "Delete a script with its versions, routes and schedules",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 204: { description: "Deleted" }, 404: notFound },
  }, async ({ p, params }, c) => {
    await deleteScript(deps, p, params.id);
    return c.body(null, 204);
  });

  r.add({
    method: "get",
    path: "/{id}/versions",
    summary: "List a script's versions, newest first (no source)",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: {
      200: { description: "Versions", schema: z.object({ items: z.array(versionSchema) }) },
      404: notFound,
    },
  }, async ({ p, params }, c) => c.json({ items: await listVersions(deps, p, params.id) }));

  r.add(
    {
      method: "post",
      path: "/{id}/versions",
      summary: "Deploy a new version (checked in the sandbox, live on the next request)",
      action: "script.deploy",
      tag: "scripts",
      params: scriptIdParams,
      query: deployQuery,
      body: deployBody,
      bodyMedia: uploadMedia,
      responses: {
        201: { description: "The new active version", schema: versionSchema },
        400: {
          description: "`invalid_request`, or `invalid_upload`: a file name, the entry or a " +
            "dependency is refused",
        },
        404: notFound,
        422: deployRefused,
        503: busy,
      },
    },
    async ({ p, params, query, body }, c) => {
      const { entry } = query;
      const withEntry = !entry
        ? body
        : "files" in body
        ? { ...body, entry: body.entry ?? entry }
        : { files: { [entry]: body.source }, entry };
      return c.json(await deployUpload(deps, p, params.id, uploadOf(withEntry)), 201);
    },
  );

  r.add({
    method: "get",
    path: "/{id}/versions/{n}",
    summary: "Get one version with its source",
    action: "script.read",
    tag: "scripts",
    params: versionParams,
    responses: {
      200: {
        description: "The version with what was uploaded: the entry's source and, for a " +
          "multi-file deploy, the other files and the import map",
        schema: versionSchema.extend({
          source: z.string(),
          files: z.record(z.string(), z.string()).nullable().optional(),
          imports: z.record(z.string(), z.string()).nullable().optional(),
        }),
      },
      404: versionNotFound,
    },
  }, async ({ p, params }, c) => c.json(await getVersion(deps, p, params.id, params.n)));

  r.add({
    method: "post",
    path: "/{id}/versions/{n}:activate",
    summary: "Make an existing version active (rollback); live on the next request",
    action: "script.deploy",
    tag: "scripts",
    params: versionParams,
    responses: {
      200: { description: "The now active version", schema: versionSchema },
      404: versionNotFound,
    },
  }, async ({ p, params }, c) => c.json(await activateVersion(deps, p, params.id, params.n)));

  bindScriptSettingsApi(r, deps);
}
