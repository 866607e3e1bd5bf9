/**
 * @module The versions service: deploy (a new active version, checked in the sandbox first), list,
 * read and activate (roll back) — each authorizes on the script's app, runs its transaction,
 * writes the audit entry and notifies routing. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { recordChange } from "../audit/service.ts";
import type { Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import {
  activateVersion as activateVersionRow,
  findVersion,
  insertActiveVersion,
  listVersions as listVersionRows,
  type VersionRow,
} from "./repo.ts";
import { prepareDeploy } from "./prepare.ts";
import { scriptFor, scriptNotFound } from "./service.ts";
import { type Upload, uploadOf } from "./upload.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing" | "pool" | "config">;

/** Deploys a single source as a new version; see `deployUpload`. */
export async function deployVersion(
  deps: Deps,
  p: Principal,
  id: string,
  source: string,
): Promise<VersionRow> {
  return await deployUpload(deps, p, id, uploadOf({ source }));
}

/**
 * Deploys an upload as a new version: bundled first when it imports packages or spans several
 * files (`bundle.ts`), then checked in the sandbox; it is live on the next request. The version
 * keeps the upload, the resolved packages and the bundle, so a rollback needs no network.
 */
export async function deployUpload(
  deps: Deps,
  p: Principal,
  id: string,
  upload: Upload,
): Promise<VersionRow> {
  const script = await scriptFor(deps, p, id, "script.deploy");
  const { source, hash, bundled } = await prepareDeploy(deps, script.app_id, upload);
  const version = await deps.sql.begin(async (tx) => {
    const version = await insertActiveVersion(tx, {
      scriptId: script.id,
      source,
      hash,
      createdBy: p.userId,
      bundled,
    });
    if (!version) throw scriptNotFound(script.id);
    await recordChange(tx, p, {
      action: "script.deploy",
      resourceId: script.id,
      appId: script.app_id,
      before: { version: script.active_version },
      after: { version: version.version, hash, packages: bundled?.packages ?? undefined },
    });
    return version;
  });
  await deps.routing.notifyChanged();
  return version;
}

/** A script's versions, newest first (no source). */
export async function listVersions(deps: Pick<Deps, "sql">, p: Principal, id: string) {
  const script = await scriptFor(deps, p, id, "script.read");
  return await listVersionRows(deps.sql, script.id);
}

/** One version with its source. */
export async function getVersion(deps: Pick<Deps, "sql">, p: Principal, id: string, n: number) {
  const script = await scriptFor(deps, p, id, "script.read");
  const version = await findVersion(deps.sql, script.id, n);
  if (!version) throw versionNotFound(script.id, n);
  return version;
}

/** Makes an existing version active (a rollback); live on the next request. */
export async function activateVersion(
  deps: Pick<Deps, "sql" | "routing">,
  p: Principal,
  id: string,
  n: number,
): Promise<VersionRow & { active: true }> {
  const script = await scriptFor(deps, p, id, "script.deploy");
  const result = await deps.sql.begin(async (tx) => {
    const r = await activateVersionRow(tx, script.id, n);
    if (r === "script_missing") throw scriptNotFound(script.id);
    if (r === "version_missing") throw versionNotFound(script.id, n);
    await recordChange(tx, p, {
      action: "script.activate",
      resourceId: script.id,
      appId: script.app_id,
      before: { version: r.before },
      after: { version: r.after.version, hash: r.after.hash },
    });
    return r.after;
  });
  await deps.routing.notifyChanged();
  return { ...result, active: true };
}

function versionNotFound(id: string, n: number) {
  return new ApiError("version_not_found", `Script ${id} has no version ${n}`);
}
