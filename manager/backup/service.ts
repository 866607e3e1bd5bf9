/**
 * @module The backup service: the running server takes a consistent backup of its embedded
 * database (with the secret key) for an instance owner, and records it in the audit log. Needs
 * `system.backup` (instance owner; never a read-only key: the file opens every secret).
 */
import { recordChange } from "../audit/service.ts";
import { assertCan, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { postgresRefusal, takeBackup, type TakenBackup } from "../../ops/take_backup.ts";

type Deps = Pick<ManagerDeps, "sql" | "config" | "database">;

/** Takes a backup of the running platform's database; PostgreSQL is refused (`backup_unsupported`). */
export async function backupDatabase(deps: Deps, p: Principal | null): Promise<TakenBackup> {
  assertCan(p, "system.backup");
  if (!deps.database || deps.database.kind !== "embedded") throw postgresRefusal();
  const taken = await takeBackup({ ...deps.database, sql: deps.sql }, deps.config);
  const m = taken.manifest;
  await deps.sql.begin((tx) =>
    recordChange(tx, p, {
      action: "system.backup",
      resourceId: null,
      appId: null,
      before: null,
      after: {
        schema_version: m.schema_version,
        created_at: m.created_at,
        bytes: taken.bytes.byteLength,
        secret_key: m.secret_key.source,
      },
    })
  );
  return taken;
}

/** The file name offered to the client: `picloud-backup-20261130T104102Z.tar.gz`. */
export function backupFileName(createdAt: string): string {
  return `picloud-backup-${createdAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.tar.gz`;
}
