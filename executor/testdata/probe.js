// Tries one forbidden capability chosen by ?probe=…; answers {ok:false,error} when blocked.
const probes = {
  read: () => Deno.readTextFile("/etc/hostname"),
  nodeRead: async () => (await import("node:fs")).readFileSync("/etc/hostname", "utf8"),
  env: () => Deno.env.get("HOME") ?? Deno.env.toObject(),
  processEnv: () => JSON.stringify(globalThis.process?.env ?? {}),
  nodeHomedir: async () => (await import("node:os")).homedir(),
  run: () => new Deno.Command("/bin/echo", { args: ["pwned"] }).output(),
  connect: () => Deno.connect({ hostname: "127.0.0.1", port: Number(PORT) }),
  fetchLocal: () => fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.text()),
  // deno-lint-ignore no-import-prefix
  importRemote: () => import("https://example.com/mod.js"),
  // deno-lint-ignore no-import-prefix
  importNpm: () => import("npm:left-pad@1.3.0"),
  importFile: () => import("file:///etc/hostname"),
  importLoader: () => import("__LOADER__"),
  // deno-lint-ignore no-import-prefix
  importJsr: () => import("jsr:@std/path@1"),
  importText: () => import("file:///etc/hostname", { with: { type: "text" } }),
  importBytes: () => import("file:///etc/hostname", { with: { type: "bytes" } }),
  write: () => Deno.writeTextFile("/tmp/picloud-probe-pwned", "x"),
  listen: () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  dns: () => Deno.resolveDns("localhost", "A"),
  nodeDns: async () => {
    const dns = await import("node:dns");
    return await dns.promises.resolve4("localhost");
  },
  ffi: () => Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }),
  sysHostname: () => Deno.hostname(),
  nodeHostname: async () => (await import("node:os")).hostname(),
  nodeChildProcess: async () => (await import("node:child_process")).execSync("echo pwned"),
  nodeNet: async () => {
    const net = await import("node:net");
    return await new Promise((resolve, reject) => {
      const s = net.connect(Number(PORT), "127.0.0.1", () => resolve("connected"));
      s.on("error", reject);
    });
  },
  nestedWorkerRead: async () => {
    const { Worker } = await import("node:worker_threads");
    return await new Promise((resolve, reject) => {
      const w = new Worker(
        "const { parentPort } = require('node:worker_threads');" +
          "parentPort.postMessage(require('node:fs').readFileSync('/etc/hostname', 'utf8'));",
        { eval: true },
      );
      w.on("message", (m) => resolve(m));
      w.on("error", reject);
      setTimeout(() => reject(new Error("no answer")), 2000);
    });
  },
  blobCreate: () => URL.createObjectURL(new Blob(["secret-of-a"])),
  blobFetch: (q) => fetch(q.get("url")).then((r) => r.text()),
  cachePut: async () => {
    const c = await caches.open("shared");
    await c.put("http://k/", new Response("from-a"));
    return "put";
  },
  cacheGet: async () => {
    const c = await caches.open("shared");
    const r = await c.match("http://k/");
    return r ? await r.text() : "miss";
  },
  broadcast: () => {
    new BroadcastChannel("x").postMessage("hi");
    return "sent";
  },
  signal: () => Deno.addSignalListener("SIGTERM", () => {}),
  memoryUsage: () => Deno.memoryUsage(),
  cpuUsage: () => globalThis.process.cpuUsage(),
  args: () => {
    if (Deno.args.length > 0) return Deno.args;
    throw new Error("args empty");
  },
  internal: () => Object.keys(Deno[Deno.internal]),
  close: () => globalThis.close(),
  permissionRequest: async () => {
    const s = await Deno.permissions.request({ name: "read" });
    if (s.state !== "granted") throw new Error("denied");
    return s.state;
  },
};
const PORT = "__PORT__";

export default {
  async fetch(req) {
    const query = new URL(req.url).searchParams;
    const name = query.get("probe");
    try {
      const value = await probes[name](query);
      return Response.json({ ok: true, value: String(value).slice(0, 200) });
    } catch (err) {
      return Response.json({ ok: false, error: String(err).slice(0, 200) });
    }
  },
};
