/** @module The loader Worker alone: acts as its supervisor (a loopback link, a token, batches of invoke frames written in one turn) and prints the Worker thread's CPU µs per request (Hello World). Usage: `deno run -A --unstable-worker-options bench/loader_worker.ts [requests] [batch]`. */
import { FrameWriter, readFrames } from "../executor/_frames.ts";
import { KIND_CALL } from "../executor/_protocol.ts";

const N = Number(Deno.args[0] ?? 20000), B = Number(Deno.args[1] ?? 16);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const token = crypto.randomUUID();
const w = new Worker(new URL("../executor/loader.ts", import.meta.url), { type: "module" });
w.postMessage({
  t: "load",
  source: `export default { fetch: () => new Response("Hello World") };`,
  env: {},
  app: { id: "a", slug: "a" },
  link: { port: listener.addr.port, token },
});
const conn = await listener.accept();
conn.setNoDelay(true);
const out = new FrameWriter(conn);
let got = 0;
let resolveBatch = () => {};
let hello = false;
readFrames(conn, ({ header }) => {
  if (!hello) {
    if (header.t !== "hello" || header.token !== token) throw new Error("expected the hello");
    hello = true;
  } else if (header.t === "result" && ++got % B === 0) resolveBatch();
}).catch(() => {});
await new Promise((r) => setTimeout(r, 500));
let id = 1;
const invoke = () => ({
  t: "invoke",
  id: id++,
  kind: "fetch",
  method: "GET",
  url: "http://localhost:8000/",
  headers: [["host", "localhost:8000"], ["user-agent", "wrk"]],
  params: {},
  requestId: crypto.randomUUID(),
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1234 },
  trigger: "http",
  maxBodyBytes: 10485760,
  cron: "",
  scheduledTime: 0,
  stream: false,
});
const threadCpu = () => {
  for (const t of Deno.readDirSync(`/proc/${Deno.pid}/task`)) {
    if (Deno.readTextFileSync(`/proc/${Deno.pid}/task/${t.name}/comm`).trim() === "worker-1") {
      return Number(
        Deno.readTextFileSync(`/proc/${Deno.pid}/task/${t.name}/schedstat`).split(" ")[0],
      );
    }
  }
  return 0;
};
const run = async (n: number) => {
  got = 0;
  for (let i = 0; i < n; i += B) {
    const done = new Promise<void>((r) => resolveBatch = r);
    // One turn's frames go out in one write, as the supervisor's are.
    for (let j = 0; j < B; j++) out.send(invoke(), null, 1, KIND_CALL);
    await done;
  }
};
await run(4000);
const c0 = threadCpu();
const t0 = performance.now();
await run(N);
console.log(
  `worker CPU ${((threadCpu() - c0) / 1000 / N).toFixed(1)} µs/req, wall ${
    ((performance.now() - t0) * 1000 / N).toFixed(1)
  } µs/req`,
);
w.terminate();
conn.close();
listener.close();
