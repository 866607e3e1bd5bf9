/**
 * @module Test fixture: serves "ok" with the guarded listener (`guarded [maxConnections]`) or plain
 * `Deno.serve` (`plain`) on 127.0.0.1, prints `ready <port>`, and answers `/stats` with counters.
 */
import { listen } from "../http_listener.ts";

const [mode, max] = Deno.args;
// Like server.ts: signal handling is set up before any flood (Deno 2.9.6 panics when its first
// signal registration meets EMFILE).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const log = {
  debug() {},
  info: (msg: string) => console.error(msg),
  warn: (msg: string) => console.error(msg),
  error: (msg: string) => console.error(msg),
};
const onListen = (addr: Deno.NetAddr) => console.log(`ready ${addr.port}`);
if (mode === "plain") {
  Deno.serve({ hostname: "127.0.0.1", port: 0, onListen }, () => new Response("ok"));
} else {
  const server = listen(
    {
      hostname: "127.0.0.1",
      port: 0,
      maxConnections: max ? Number(max) : undefined,
      maxAcceptBackoffMs: 200,
      log,
      onListen,
    },
    (req) =>
      new URL(req.url).pathname === "/stats" ? Response.json(server.stats()) : new Response("ok"),
  );
}
