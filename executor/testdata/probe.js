// Tries one forbidden capability chosen by ?probe=…; answers {ok:false,error} when blocked.
const probes = {
  read: () => Deno.readTextFile("/etc/hostname"),
  nodeRead: async () => (await import("node:fs")).readFileSync("/etc/hostname", "utf8"),
  env: () => Deno.env.get("HOME") ?? Deno.env.toObject(),
  processEnv: () => JSON.stringify(globalThis.process?.env ?? {}),
  run: () => new Deno.Command("/bin/echo", { args: ["pwned"] }).output(),
  connect: () => Deno.connect({ hostname: "127.0.0.1", port: Number(PORT) }),
  fetchLocal: () => fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.text()),
  // deno-lint-ignore no-import-prefix
  importRemote: () => import("https://example.com/mod.js"),
  // deno-lint-ignore no-import-prefix
  importNpm: () => import("npm:left-pad@1.3.0"),
  importFile: () => import("file:///etc/hostname"),
  importLoader: () => import("__LOADER__"),
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
    const name = new URL(req.url).searchParams.get("probe");
    try {
      const value = await probes[name]();
      return Response.json({ ok: true, value: String(value).slice(0, 200) });
    } catch (err) {
      return Response.json({ ok: false, error: String(err).slice(0, 200) });
    }
  },
};
