/**
 * @module `GET /api/v1/admin/backup`: a consistent backup of the embedded database and its secret
 * key, taken by the running server, as a file download for instance owners.
 */
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { backupDatabase, backupFileName } from "./service.ts";

/** Binds `/backup` under the admin router. */
export function bindBackupApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "Download a consistent backup of the embedded database, taken while serving: a " +
      "gzipped tar of a manifest, the database and the secret key (as sensitive as the data " +
      "directory). `picloud restore` reads it. PostgreSQL is refused: use pg_dump",
    action: "system.backup",
    tag: "system",
    responses: {
      200: {
        description: "The backup file",
        media: "application/gzip",
        headers: {
          "Content-Disposition": '`attachment; filename="picloud-backup-<UTC time>.tar.gz"`',
        },
      },
      409: { description: "`backup_unsupported`: the database is PostgreSQL" },
    },
  }, async ({ p }) => {
    const { bytes, manifest } = await backupDatabase(deps, p);
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${backupFileName(manifest.created_at)}"`,
        "content-length": String(bytes.byteLength),
        "cache-control": "no-store",
      },
    });
  });
}
