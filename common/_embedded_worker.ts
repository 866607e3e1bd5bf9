/**
 * @module The embedded database in its own thread: PGlite (WebAssembly PostgreSQL) and its
 * loopback socket server (`embedded_socket.ts`) run here so their CPU work never blocks the main thread's event loop.
 */
import { PGlite } from "@electric-sql/pglite";
import { type EmbeddedSocketServer, serveEmbeddedSocket } from "./embedded_socket.ts";
import { unpackTemplate } from "./embedded_template.ts";
import { EMBEDDED_POSTGRESQL_CONF } from "./embedded_settings.ts";

/** Messages from the opener. */
export type EmbeddedRequest =
  | { t: "open"; dataDir: string | null; template?: Uint8Array | null }
  | { t: "dump" }
  | { t: "close" };
/** Messages to the opener. */
export type EmbeddedReply =
  | { t: "ready"; port: number }
  | { t: "dumped"; tar: Uint8Array }
  | { t: "error"; message: string }
  | { t: "closed" };

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<EmbeddedRequest>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let db: PGlite | undefined;
let server: EmbeddedSocketServer | undefined;
const post = (m: EmbeddedReply) => scope.postMessage(m);

scope.onmessage = async (event: MessageEvent<EmbeddedRequest>) => {
  const msg = event.data;
  try {
    if (msg.t === "open") {
      // A template (a dumped data directory) skips initdb: ~0.5 s instead of ~3 s (tests).
      const loadDataDir = msg.template
        ? new Blob([msg.template as Uint8Array<ArrayBuffer>])
        : undefined;
      // A fresh data directory starts from the built template instead of PGlite's initdb.
      if (msg.dataDir && !loadDataDir) await unpackTemplate(msg.dataDir);
      db = await PGlite.create({
        dataDir: msg.dataDir ?? undefined,
        loadDataDir,
        postgresqlconf: [...EMBEDDED_POSTGRESQL_CONF],
      });
      // PGlite is one backend; a second connection is allowed only for a reconnect.
      server = serveEmbeddedSocket(db, { hostname: "127.0.0.1", maxConnections: 2 });
      post({ t: "ready", port: server.port });
    } else if (msg.t === "dump") {
      const tar = new Uint8Array(await (await db!.dumpDataDir("none")).arrayBuffer());
      scope.postMessage({ t: "dumped", tar });
    } else if (msg.t === "close") {
      await server?.stop();
      await db?.close();
      post({ t: "closed" });
    }
  } catch (err) {
    post({ t: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
