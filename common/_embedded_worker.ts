/**
 * @module The embedded database in its own thread (the large memory profile): PGlite and its
 * socket server (`embedded_pglite.ts`) run here so their CPU work runs beside the main thread's
 * event loop, on another core, at the cost of a second JavaScript isolate (~11–16 MB).
 */
import { type EmbeddedPglite, openPglite } from "./embedded_pglite.ts";

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

let db: EmbeddedPglite | undefined;
const post = (m: EmbeddedReply) => scope.postMessage(m);

scope.onmessage = async (event: MessageEvent<EmbeddedRequest>) => {
  const msg = event.data;
  try {
    if (msg.t === "open") {
      db = await openPglite(msg.dataDir, msg.template);
      post({ t: "ready", port: db.port });
    } else if (msg.t === "dump") {
      post({ t: "dumped", tar: await db!.dump() });
    } else if (msg.t === "close") {
      await db?.close();
      post({ t: "closed" });
    }
  } catch (err) {
    post({ t: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
