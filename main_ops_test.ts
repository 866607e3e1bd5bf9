/**
 * @module End-to-end tests of operating the real process: a second server on a held data
 * directory, and a graceful SIGTERM under load.
 */
import assert from "node:assert/strict";
import { openDatabase } from "./common/db.ts";
import { loadMigrations, migrate } from "./common/migrate.ts";
import { readExecutionLogs } from "./orchestrator/mod.ts";
import { insertTestApp } from "./testing/db.ts";
import { MAIN_PATH, serverEnv, startMainServer } from "./testing/server_process.ts";

Deno.test("main serve - a second server on the same data directory exits 3 with one clear line", async () => {
  const dataDir = await Deno.makeTempDir();
  const first = await startMainServer({ PICLOUD_DATA_DIR: dataDir });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-worker-options", MAIN_PATH, "serve"],
      clearEnv: true,
      env: serverEnv({ PICLOUD_DATA_DIR: dataDir }),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 3, err);
    const lines = err.split("\n");
    assert.equal(lines.length, 1, err);
    assert.ok(lines[0].includes(dataDir), err);
    assert.match(lines[0], /another PiCloud process/);
    assert.match(lines[0], /PICLOUD_DATA_DIR/);
    assert.doesNotMatch(err, /\bat \S+:\d+:\d+/, "no stack trace");
  } finally {
    first.child.kill("SIGTERM");
    await first.child.status;
    await first.drained;
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** Answers after `?ms=` milliseconds (capped), so the load mixes quick and ~1 s requests. */
const SLOW_SOURCE = `export default {
  async fetch(req) {
    const ms = Math.min(3000, Number(new URL(req.url).searchParams.get("ms") ?? 0));
    await new Promise((r) => setTimeout(r, ms));
    return new Response("slept " + ms);
  },
};`;

interface Outcome {
  status?: number;
  requestId?: string | null;
  error?: string;
  slow: boolean;
}

/** A migrated data directory whose app (claiming 127.0.0.1) runs `SLOW_SOURCE`. */
async function seedSlowApp(dataDir: string): Promise<void> {
  const db = await openDatabase({ dataDir });
  try {
    await migrate(db.sql, await loadMigrations());
    await insertTestApp(db.sql, { slug: "slow", host: "127.0.0.1", source: SLOW_SOURCE });
  } finally {
    await db.close();
  }
}

Deno.test("main serve - SIGTERM under load drains accepted requests, logs them all and exits 0 in the grace period", async () => {
  const GRACE_MS = 8_000;
  const dataDir = await Deno.makeTempDir();
  try {
    await seedSlowApp(dataDir);
    const s = await startMainServer({
      PICLOUD_DATA_DIR: dataDir,
      PICLOUD_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const url = (ms: number) => `http://127.0.0.1:${s.port}/?ms=${ms}`;
    // fetch sends its own Host: the app claims 127.0.0.1 before the server seeds Hello World.
    const headers = {};
    // Warm: the first request starts the app's executor.
    const warm = await fetch(url(0), { headers });
    assert.equal(await warm.text(), "slept 0");

    const outcomes: Outcome[] = [];
    let refused = false;
    const worker = async (w: number) => {
      const until = Date.now() + 20_000;
      for (let i = 0; i < 400 && !refused && Date.now() < until; i++) {
        const slow = (i + w) % 3 === 0;
        try {
          const res = await fetch(url(slow ? 1000 : 10), { headers });
          const body = await res.text();
          outcomes.push({
            status: res.status,
            requestId: res.headers.get("x-request-id"),
            slow,
            error: body.startsWith("slept") ? undefined : body,
          });
        } catch (err) {
          const msg = `${err} (${(err as Error).cause ?? "no cause"})`;
          // Refused after the listener closed: never accepted, the expected end of the load.
          if (/Connection refused/i.test(msg)) refused = true;
          else outcomes.push({ error: msg, slow });
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    await new Promise((r) => setTimeout(r, 1500));
    const sentAt = Date.now();
    s.child.kill("SIGTERM");
    const status = await s.child.status;
    const exitMs = Date.now() - sentAt;
    await s.drained;
    await load;

    assert.equal(status.code, 0, s.output());
    assert.ok(exitMs < GRACE_MS, `exited ${exitMs} ms after SIGTERM`);
    const failed = outcomes.filter((o) => o.error !== undefined || o.status !== 200);
    assert.deepEqual(failed, [], "no accepted request failed or was reset");
    const ok = outcomes.filter((o) => o.status === 200);
    assert.ok(ok.filter((o) => o.slow).length >= 6, `slow requests: ${ok.length} ok in all`);
    assert.ok(refused, "the load ran until the listener closed");

    const again = await openDatabase({ dataDir });
    try {
      const logged = new Set((await readExecutionLogs(again.sql)).map((r) => r.request_id));
      const missing = ok.filter((o) => !logged.has(o.requestId!));
      assert.deepEqual(missing, [], `${missing.length} of ${ok.length} 2xx have no log row`);
      console.log(
        `SIGTERM under load: ${ok.length} requests answered 2xx (${
          ok.filter((o) => o.slow).length
        } slow), all logged; exit 0 after ${exitMs} ms`,
      );
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("main serve - SIGTERM ends a request that outlives the grace period with an answer and a log row", async () => {
  const GRACE_MS = 1_000;
  const dataDir = await Deno.makeTempDir();
  try {
    await seedSlowApp(dataDir);
    const s = await startMainServer({
      PICLOUD_DATA_DIR: dataDir,
      PICLOUD_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    // fetch sends its own Host: the app claims 127.0.0.1 before the server seeds Hello World.
    const headers = {};
    const warm = await fetch(`http://127.0.0.1:${s.port}/?ms=0`, { headers });
    assert.equal(await warm.text(), "slept 0");
    const long = fetch(`http://127.0.0.1:${s.port}/?ms=3000`, { headers })
      .then(async (r) => ({
        status: r.status,
        id: r.headers.get("x-request-id"),
        body: await r.text(),
      }))
      .catch((err) => ({ status: 0, id: null, body: `${err} (${(err as Error).cause})` }));
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = Date.now();
    s.child.kill("SIGTERM");
    const status = await s.child.status;
    const exitMs = Date.now() - sentAt;
    await s.drained;
    const answer = await long;
    assert.equal(status.code, 0, s.output());
    // The deadline, then the executors' stop and the database's close: well before the 3 s sleep.
    assert.ok(exitMs < GRACE_MS + 1_500, `exited ${exitMs} ms after SIGTERM`);
    assert.ok(answer.status >= 500, `an answer, not a reset: ${JSON.stringify(answer)}`);
    const again = await openDatabase({ dataDir });
    try {
      const rows = await readExecutionLogs(again.sql);
      const row = rows.find((r) => r.request_id === answer.id);
      assert.ok(row, `the cut-off request is logged: ${JSON.stringify(answer)}`);
      assert.notEqual(row.outcome, "ok");
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
