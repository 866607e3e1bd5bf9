/**
 * @module The scripts service: list, create (with its first version), read, rename and delete
 * scripts, and find the script a caller may act on — each authorizes on the script's app, runs its
 * transaction, writes the audit entry and notifies routing. No HTTP here.
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { appFor } from "../apps/service.ts";
import { recordChange } from "../audit/service.ts";
import { type Action, assertCan, type Principal, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import {
  deleteScript as deleteScriptRow,
  findScript,
  insertActiveVersion,
  insertScript,
  listScripts as listScriptRows,
  type ScriptRow,
  updateScript as updateScriptRow,
} from "./repo.ts";
import { prepareDeploy } from "./prepare.ts";
import { type CreateScriptInput, uploadOf } from "./upload.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing" | "pool" | "config">;
type Snapshot = ReturnType<ManagerDeps["routing"]["current"]>;

/** A script as the request path runs it, and its app, from the routing snapshot. */
export interface RunTarget {
  script: NonNullable<ReturnType<Snapshot["scripts"]["get"]>>;
  app: NonNullable<ReturnType<Snapshot["apps"]["get"]>>;
}

/** 404 `script_not_found`. */
export function scriptNotFound(id: string): ApiError {
  return new ApiError("script_not_found", `No script ${id}`);
}

/** The script `id` when the caller may do `action` on its app (404 hides other apps' scripts). */
export async function scriptFor(
  deps: Pick<Deps, "sql">,
  p: Principal,
  id: string,
  action: Action,
): Promise<ScriptRow> {
  const script = z.uuid().safeParse(id).success ? await findScript(deps.sql, id) : null;
  if (!script) throw scriptNotFound(id);
  assertCan(p, action, { appId: script.app_id, notFound: scriptNotFound(id) });
  return script;
}

/**
 * The script `id` and its app as the request path sees them (the routing snapshot), when the
 * caller may run it (`script.execute`; 404 hides other apps' scripts).
 */
export function scriptToRun(
  deps: Pick<Deps, "routing">,
  p: Principal,
  id: string,
): RunTarget {
  const snap = deps.routing.current();
  const script = z.uuid().safeParse(id).success ? snap.scripts.get(id) : undefined;
  const app = script ? snap.apps.get(script.appId) : undefined;
  if (!script || !app) throw scriptNotFound(id);
  assertCan(p, "script.execute", { appId: app.id, notFound: scriptNotFound(id) });
  return { script, app };
}

/** The scripts of every app the caller can see, or of one app (`app`: id or slug). */
export async function listScripts(
  deps: Pick<Deps, "sql">,
  p: Principal,
  app?: string,
): Promise<ScriptRow[]> {
  if (!app) {
    assertCan(p, "me.read");
    return await listScriptRows(deps.sql, visibleAppIds(p));
  }
  const row = await appFor(deps, p, app, "script.read");
  return await listScriptRows(deps.sql, [row.id]);
}

/**
 * A new script with its first, active version, prepared like every deploy (bundled when it needs
 * it, checked in the sandbox) before anything is stored.
 */
export async function createScript(
  deps: Deps,
  p: Principal,
  input: CreateScriptInput,
): Promise<ScriptRow> {
  const app = await appFor(deps, p, input.app_id, "script.deploy");
  const { app_id: _app, name, description, ...body } = input;
  const { source, hash, bundled } = await prepareDeploy(deps, app.id, uploadOf(body));
  const id = await deps.sql.begin(async (tx) => {
    const script = await insertScript(tx, { appId: app.id, name, description });
    if (!script) throw nameTaken(name);
    const version = await insertActiveVersion(tx, {
      scriptId: script.id,
      source,
      hash,
      createdBy: p.userId,
      bundled,
    });
    await recordChange(tx, p, {
      action: "script.create",
      resourceId: script.id,
      appId: app.id,
      before: null,
      after: {
        name,
        description,
        version: version?.version,
        hash,
        packages: bundled?.packages ?? undefined,
      },
    });
    return script.id;
  });
  await deps.routing.notifyChanged();
  return (await findScript(deps.sql, id))!;
}

/** Renames a script and/or changes its description. */
export async function updateScript(
  deps: Pick<Deps, "sql" | "routing">,
  p: Principal,
  id: string,
  input: { name?: string; description?: string },
): Promise<ScriptRow> {
  const script = await scriptFor(deps, p, id, "script.write");
  await deps.sql.begin(async (tx) => {
    const after = await updateScriptRow(tx, script.id, input);
    if (after === null) throw scriptNotFound(script.id);
    if (after === "name_taken") throw nameTaken(input.name!);
    await recordChange(tx, p, {
      action: "script.update",
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
  return (await findScript(deps.sql, script.id))!;
}

/** Deletes a script with its versions, routes and schedules. */
export async function deleteScript(
  deps: Pick<Deps, "sql" | "routing">,
  p: Principal,
  id: string,
): Promise<void> {
  const script = await scriptFor(deps, p, id, "script.write");
  await deps.sql.begin(async (tx) => {
    if (!await deleteScriptRow(tx, script.id)) throw scriptNotFound(script.id);
    await recordChange(tx, p, {
      action: "script.delete",
      resourceId: script.id,
      appId: script.app_id,
      before: { name: script.name, active_version: script.active_version },
      after: null,
    });
  });
  await deps.routing.notifyChanged();
}

function nameTaken(name: string) {
  return new ApiError("script_exists", `A script named ${name} already exists`);
}
