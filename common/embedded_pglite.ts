/**
 * @module Opens the embedded database (PGlite, WebAssembly PostgreSQL) and its loopback socket
 * server (`embedded_socket.ts`), in whichever thread imports it: the main one (the small memory
 * profile) or the database's own Worker (`_embedded_worker.ts`, the large profile).
 */
import { PGlite } from "@electric-sql/pglite";
import { serveEmbeddedSocket } from "./embedded_socket.ts";
import { unpackTemplate } from "./embedded_template.ts";
import { EMBEDDED_POSTGRESQL_CONF } from "./embedded_settings.ts";

/** An open embedded database, served on a loopback port. */
export interface EmbeddedPglite {
  port: number;
  /** The data directory as a tarball (a template for a `memory://` database). */
  dump(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens PGlite on `dataDir` (null: in memory), starting a fresh directory from the built
 * template, or a memory database from `template` (a dumped data directory), and serves it.
 */
export async function openPglite(
  dataDir: string | null,
  template?: Uint8Array | null,
): Promise<EmbeddedPglite> {
  // A template (a dumped data directory) skips initdb: ~0.5 s instead of ~3 s (tests).
  const loadDataDir = template ? new Blob([template as Uint8Array<ArrayBuffer>]) : undefined;
  if (dataDir && !loadDataDir) await unpackTemplate(dataDir);
  const db = await PGlite.create({
    dataDir: dataDir ?? undefined,
    loadDataDir,
    postgresqlconf: [...EMBEDDED_POSTGRESQL_CONF],
  });
  // PGlite is one backend; a second connection is allowed only for a reconnect.
  const server = serveEmbeddedSocket(db, { hostname: "127.0.0.1", maxConnections: 2 });
  return {
    port: server.port,
    dump: async () => new Uint8Array(await (await db.dumpDataDir("none")).arrayBuffer()),
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
