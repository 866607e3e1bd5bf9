// Tries to reach the process-wide Cache API from a nested node:worker_threads Worker,
// which the loader's neutering does not cover.
const code = (op) => `
const { parentPort } = require("node:worker_threads");
(async () => {
  try {
    const c = await caches.open("shared");
    if (${JSON.stringify(op)} === "put") {
      await c.put("http://k/", new Response("secret-from-a"));
      parentPort.postMessage("put");
    } else {
      const r = await c.match("http://k/");
      parentPort.postMessage(r ? await r.text() : "miss");
    }
  } catch (e) {
    parentPort.postMessage("blocked " + e);
  }
})();`;

export default {
  async fetch(req) {
    const op = new URL(req.url).searchParams.get("op");
    const { Worker } = await import("node:worker_threads");
    const w = new Worker(code(op), { eval: true });
    const result = await new Promise((resolve) => {
      w.on("message", resolve);
      w.on("error", (e) => resolve("error " + e));
    });
    await w.terminate();
    return new Response(String(result));
  },
};
