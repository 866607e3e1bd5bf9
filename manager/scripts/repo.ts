/** @module SQL for scripts and their immutable versions. */
import type { Sql, Tx } from "../../common/db.ts";

/** A script as returned by the API (no source). */
export interface ScriptRow {
  id: string;
  app_id: string;
  name: string;
  description: string;
  active_version_id: string | null;
  active_version: number | null;
  created_at: Date;
  updated_at: Date;
}

/** A script version as returned by the API. */
export interface VersionRow {
  id: string;
  script_id: string;
  version: number;
  hash: string;
  /** The module whose default export runs (`main.ts` for a single source). */
  entry: string;
  /** npm packages the deploy resolved, name → exact version (empty when nothing was bundled). */
  packages: Record<string, string>;
  /** Size of the bundle that runs, or null when the source runs as uploaded. */
  bundle_bytes: number | null;
  created_at: Date;
}

/** What a deploy stores beside its source when it was bundled. */
export interface VersionBundle {
  entry: string;
  files: Record<string, string> | null;
  imports: Record<string, string> | null;
  lock: Record<string, unknown> | null;
  packages: Record<string, string> | null;
  bundle: string | null;
  /** The bundle's compact source map (JSON text), to name the user's lines in stack traces. */
  bundleMap?: string | null;
}

const versionColumns = (sql: Sql | Tx) =>
  sql`v.id, v.script_id, v.version, v.hash, coalesce(v.entry, 'main.ts') as entry,
      coalesce(v.packages, '{}'::jsonb) as packages, octet_length(v.bundle) as bundle_bytes,
      v.created_at`;

const scriptColumns = (sql: Sql | Tx) =>
  sql`s.id, s.app_id, s.name, s.description, s.active_version_id, v.version as active_version,
      s.created_at, s.updated_at`;

/** Creates a script; returns null when the name is taken in that app. */
export async function insertScript(
  tx: Tx,
  input: { appId: string; name: string; description: string },
): Promise<{ id: string } | null> {
  const [row] = await tx<{ id: string }[]>`
    insert into scripts (app_id, name, description)
    values (${input.appId}, ${input.name}, ${input.description})
    on conflict (app_id, name) do nothing returning id`;
  return row ?? null;
}

/** Appends a version to a script (locking the script row) and makes it active. */
export async function insertActiveVersion(
  tx: Tx,
  input: {
    scriptId: string;
    source: string;
    hash: string;
    createdBy: string | null;
    bundled?: VersionBundle;
  },
): Promise<VersionRow | null> {
  const [script] = await tx`select id from scripts where id = ${input.scriptId} for update`;
  if (!script) return null;
  const b = input.bundled;
  const json = (v: unknown) => v === null || v === undefined ? null : tx.json(v as never);
  const [inserted] = await tx<{ id: string }[]>`
    insert into script_versions (script_id, version, source, hash, created_by,
      entry, files, imports, lock, packages, bundle, bundle_map)
    select ${input.scriptId}, coalesce(max(version), 0) + 1, ${input.source}, ${input.hash},
      ${input.createdBy}, ${b?.entry ?? null}, ${json(b?.files)}, ${json(b?.imports)},
      ${json(b?.lock)}, ${json(b?.packages)}, ${b?.bundle ?? null},
      ${b?.bundleMap ?? null}
    from script_versions where script_id = ${input.scriptId}
    returning id`;
  const [version] = await tx<VersionRow[]>`
    select ${versionColumns(tx)} from script_versions v where v.id = ${inserted.id}`;
  await tx`
    update scripts set active_version_id = ${version.id}, updated_at = now()
    where id = ${input.scriptId}`;
  return version;
}

/** One script by id. */
export async function findScript(sql: Sql | Tx, id: string): Promise<ScriptRow | null> {
  const [row] = await sql<ScriptRow[]>`
    select ${scriptColumns(sql)} from scripts s
    left join script_versions v on v.id = s.active_version_id
    where s.id = ${id}`;
  return row ?? null;
}

/** Scripts of the given apps (null: all apps), by name. */
export async function listScripts(sql: Sql, appIds: string[] | null): Promise<ScriptRow[]> {
  return [
    ...await sql<ScriptRow[]>`
      select ${scriptColumns(sql)} from scripts s
      left join script_versions v on v.id = s.active_version_id
      where ${appIds === null ? sql`true` : sql`s.app_id = any(${appIds}::uuid[])`}
      order by s.name`,
  ];
}

/** A version with its activity flag (list) and, when asked for one, its source. */
export interface VersionDetail extends VersionRow {
  created_by: string | null;
  active: boolean;
  source?: string;
  /** The upload's other files (path → text), when it had several. */
  files?: Record<string, string> | null;
  imports?: Record<string, string> | null;
}

/** Renames or re-describes a script; null when it is gone, "name_taken" on a clash. */
export async function updateScript(
  tx: Tx,
  id: string,
  patch: { name?: string; description?: string },
): Promise<{ name: string; description: string } | null | "name_taken"> {
  const [row] = await tx<{ app_id: string }[]>`
    select app_id from scripts where id = ${id} for update`;
  if (!row) return null;
  if (patch.name !== undefined) {
    const [clash] = await tx`
      select 1 from scripts where app_id = ${row.app_id} and name = ${patch.name} and id <> ${id}`;
    if (clash) return "name_taken";
  }
  const [updated] = await tx<{ name: string; description: string }[]>`
    update scripts set
      name = coalesce(${patch.name ?? null}::text, name),
      description = coalesce(${patch.description ?? null}::text, description),
      updated_at = now()
    where id = ${id} returning name, description`;
  return updated;
}

/** Deletes a script (its versions, routes and schedules cascade); false when already gone. */
export async function deleteScript(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx`delete from scripts where id = ${id}`;
  return rows.count > 0;
}

/** A script's versions, newest first, without sources. */
export async function listVersions(sql: Sql, scriptId: string): Promise<VersionDetail[]> {
  return [
    ...await sql<VersionDetail[]>`
      select ${versionColumns(sql)}, v.created_by,
        (v.id = s.active_version_id) is true as active
      from script_versions v join scripts s on s.id = v.script_id
      where v.script_id = ${scriptId}
      order by v.version desc`,
  ];
}

/** One version with its source. */
export async function findVersion(
  sql: Sql,
  scriptId: string,
  version: number,
): Promise<VersionDetail | null> {
  const [row] = await sql<VersionDetail[]>`
    select ${versionColumns(sql)}, v.created_by,
      (v.id = s.active_version_id) is true as active, v.source, v.files, v.imports
    from script_versions v join scripts s on s.id = v.script_id
    where v.script_id = ${scriptId} and v.version = ${version}`;
  return row ?? null;
}

/**
 * Makes an existing version active (locking the script row). Returns the previous and new
 * version numbers, or which of script and version is missing.
 */
export async function activateVersion(
  tx: Tx,
  scriptId: string,
  version: number,
): Promise<{ before: number | null; after: VersionRow } | "script_missing" | "version_missing"> {
  const [script] = await tx<{ version: number | null }[]>`
    select v.version from scripts s left join script_versions v on v.id = s.active_version_id
    where s.id = ${scriptId} for update of s`;
  if (!script) return "script_missing";
  const [target] = await tx<VersionRow[]>`
    select ${versionColumns(tx)} from script_versions v
    where v.script_id = ${scriptId} and v.version = ${version}`;
  if (!target) return "version_missing";
  await tx`
    update scripts set active_version_id = ${target.id}, updated_at = now()
    where id = ${scriptId}`;
  return { before: script.version, after: target };
}

/** A script's plain vars and the names of its sealed secrets. */
export interface ScriptEnv {
  vars: Record<string, string>;
  secrets: string[];
}

/** Reads vars and secret names (never the sealed values). */
export async function findEnv(sql: Sql | Tx, scriptId: string): Promise<ScriptEnv | null> {
  const [row] = await sql<{ env: Record<string, string>; names: string[] | null }[]>`
    select env, (select array_agg(k order by k) from jsonb_object_keys(secrets) k) as names
    from scripts where id = ${scriptId}`;
  return row ? { vars: row.env, secrets: row.names ?? [] } : null;
}

/**
 * Locks a script's row for the rest of the transaction and reads its env as stored (vars and
 * sealed secrets), so a size check and the merge that follows it agree; null when gone.
 */
export async function lockEnv(
  tx: Tx,
  scriptId: string,
): Promise<{ vars: Record<string, string>; secrets: Record<string, string> } | null> {
  const [row] = await tx<{ env: Record<string, string>; secrets: Record<string, string> }[]>`
    select env, secrets from scripts where id = ${scriptId} for update`;
  return row ? { vars: row.env ?? {}, secrets: row.secrets ?? {} } : null;
}

/**
 * Merges vars and sealed secrets into a script in one statement (null values delete), so
 * concurrent writers never lose each other's names. Returns the result, or null when gone.
 */
export async function mergeEnv(
  tx: Tx,
  scriptId: string,
  change: {
    setVars: Record<string, string>;
    deleteVars: string[];
    setSecrets: Record<string, string>;
    deleteSecrets: string[];
  },
): Promise<ScriptEnv | null> {
  const rows = await tx`
    update scripts set
      env = (env || ${tx.json(change.setVars)}::jsonb) - ${change.deleteVars}::text[],
      secrets = (secrets || ${tx.json(change.setSecrets)}::jsonb) - ${change.deleteSecrets}::text[],
      updated_at = now()
    where id = ${scriptId}`;
  if (rows.count === 0) return null;
  return await findEnv(tx, scriptId);
}

/** Replaces a script's policy; false when gone. Returns the previous policy. */
export async function replacePolicy(
  tx: Tx,
  scriptId: string,
  policy: Record<string, unknown>,
): Promise<{ before: Record<string, unknown> } | null> {
  const [row] = await tx<{ policy: Record<string, unknown> }[]>`
    select policy from scripts where id = ${scriptId} for update`;
  if (!row) return null;
  await tx`
    update scripts set policy = ${tx.json(policy as never)}, updated_at = now()
    where id = ${scriptId}`;
  return { before: row.policy };
}

/** A script's stored policy. */
export async function findPolicy(
  sql: Sql,
  scriptId: string,
): Promise<Record<string, unknown> | null> {
  const [row] = await sql<{ policy: Record<string, unknown> }[]>`
    select policy from scripts where id = ${scriptId}`;
  return row?.policy ?? null;
}
