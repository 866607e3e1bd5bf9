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
  created_at: Date;
}

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
  input: { scriptId: string; source: string; hash: string; createdBy: string | null },
): Promise<VersionRow | null> {
  const [script] = await tx`select id from scripts where id = ${input.scriptId} for update`;
  if (!script) return null;
  const [version] = await tx<VersionRow[]>`
    insert into script_versions (script_id, version, source, hash, created_by)
    select ${input.scriptId}, coalesce(max(version), 0) + 1, ${input.source}, ${input.hash},
      ${input.createdBy}
    from script_versions where script_id = ${input.scriptId}
    returning id, script_id, version, hash, created_at`;
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
