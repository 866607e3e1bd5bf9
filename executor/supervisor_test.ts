/** @module Tests of one executor process driven directly (no pool): its Workers' links. */

import assert from "node:assert/strict";
import { ExecutorProcess } from "./supervisor.ts";

function executor(): { ex: ExecutorProcess; dir: string } {
  const dir = Deno.makeTempDirSync({ prefix: "picloud-sup-" });
  const ex = new ExecutorProcess({
    appId: "app-sup",
    memoryLimitMb: 256,
    netGrant: [],
    socketDir: dir,
    log: () => {},
  });
  return { ex, dir };
}

/** Invokes `GET /` on Worker `w`; resolves with its final header (rejects after 5 s without). */
function call(ex: ExecutorProcess, w: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer in 5 s")), 5_000);
    ex.invoke({
      w,
      kind: "fetch",
      method: "GET",
      url: "http://x.test/",
      headers: [],
      requestId: crypto.randomUUID(),
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
      maxBodyBytes: 1024,
    }, {
      onFrame: (header) => {
        if (header.t !== "result" && header.t !== "fail") return;
        clearTimeout(timer);
        resolve(header);
      },
      onDeath: (death) => {
        clearTimeout(timer);
        reject(new Error(`executor died: ${death.code}`));
      },
    });
  });
}

const msg = (netAllow: string[]) => ({
  appId: "app-sup",
  appSlug: "sup",
  env: {},
  netAllow,
});

Deno.test("ExecutorProcess - a Worker the child cannot start fails its invocations at once, its neighbours unharmed", async () => {
  const { ex, dir } = executor();
  try {
    await ex.ready();
    const ok = ex.load("ok", msg([]), `export default { fetch: () => new Response("ok") }`);
    // Deno refuses this host when the Worker is made (an empty label), after the child started.
    const bad = ex.load("bad", msg(["a..b"]), `export default { fetch: () => new Response("x") }`);
    const failed = await call(ex, bad);
    assert.equal(failed.t, "fail");
    assert.match(String(failed.message), /could not start the script's Worker: .*invalid host/);
    // Later invocations are answered from the supervisor's side as well.
    assert.equal((await call(ex, bad)).t, "fail");
    const answered = await call(ex, ok);
    assert.equal(answered.t, "result");
    assert.equal(answered.status, 200);
    assert.equal(ex.dead, false);
  } finally {
    ex.kill({ outcome: { kind: "crashed", reason: "test over" }, code: "executor_crashed" });
    await ex.closed;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
