/** @module Per-thread CPU profile of PiCloud's full path under wrk: starts a fresh server, warms it, runs wrk, prints req/s and CPU µs per request for each thread group of the main process and its executors. Usage: `deno run -A bench/thread_profile.ts [port] [seconds] [connections]` (extra deno flags for the server in `TP_FLAGS`, e.g. `--cpu-prof`). */
import { serveArgs, treePids } from "./_proc.ts";

const port = Number(Deno.args[0] ?? 18000);
const secs = Number(Deno.args[1] ?? 5);
const conns = Number(Deno.args[2] ?? 32);
const path = Deno.env.get("TP_PATH") ?? "/";
const dir = await Deno.makeTempDir({ prefix: "tp-" });
const child = new Deno.Command(Deno.execPath(), {
  args: serveArgs("", (Deno.env.get("TP_FLAGS") ?? "").split(" ").filter(Boolean)),
  cwd: new URL("..", import.meta.url).pathname,
  env: {
    PORT: String(port),
    PICLOUD_CONSOLE_PORT: String(port + 1),
    HOSTNAME: "127.0.0.1",
    PICLOUD_DATA_DIR: dir,
    ...(Deno.env.get("TP_ENV") ? JSON.parse(Deno.env.get("TP_ENV")!) : {}),
  },
  stdout: Deno.env.get("TP_STDOUT") === "inherit" ? "inherit" : "null",
  stderr: "null",
}).spawn();
for (let i = 0; i < 200; i++) {
  try {
    const r = await fetch(`http://localhost:${port}${path}`);
    await r.text();
    if (r.status === 200) break;
  } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
const sample = () => {
  const m = new Map<string, number>();
  for (const pid of treePids(child.pid)) {
    const tag = pid === child.pid ? "main" : "exec";
    try {
      for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
        const name = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/comm`).trim().replace(
          /\d+$/,
          "N",
        );
        const ns = Number(
          Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).split(" ")[0],
        );
        const k = `${tag}:${name}`;
        m.set(k, (m.get(k) ?? 0) + ns);
      }
    } catch { /* gone */ }
  }
  return m;
};
// warm
await new Deno.Command("wrk", {
  args: ["-t1", `-c${conns}`, "-d2s", `http://localhost:${port}${path}`],
  stdout: "null",
}).output();
const before = sample();
const out = await new Deno.Command("wrk", {
  args: ["-t1", `-c${conns}`, `-d${secs}s`, "--latency", `http://localhost:${port}${path}`],
}).output();
const after = sample();
const text = new TextDecoder().decode(out.stdout);
const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
const total = Number(/(\d+) requests in/.exec(text)?.[1]);
console.log(
  text.split("\n").filter((l) => /Latency|50%|75%|90%|99%|Requests\/sec|Non-2xx/.test(l)).join(
    "\n",
  ),
);
let sum = 0;
const rows: [string, number][] = [];
for (const [k, v] of after) {
  const d = (v - (before.get(k) ?? 0)) / 1000 / total;
  if (d > 0.5) rows.push([k, d]);
  sum += Math.max(0, d);
}
rows.sort((a, b) => b[1] - a[1]);
for (const [k, d] of rows) console.log(`${k.padEnd(32)} ${d.toFixed(1)} µs/req`);
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1] ?? 0) / 1024;
console.log(
  `tree ${sum.toFixed(1)} µs/req  rps ${rps}  main RSS ${rssMb(child.pid).toFixed(0)} MB`,
);
child.kill("SIGTERM");
await child.status;
await Deno.remove(dir, { recursive: true }).catch(() => {});
