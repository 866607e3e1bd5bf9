/**
 * The fault suite: while app B is under steady load over real HTTP, app A runs one fault at a
 * time. Every fault must cost B zero errors, give A's caller a named JSON error, and leave A
 * serving again. Timings are printed, never asserted (the machines are noisy).
 */
import assert from "node:assert/strict";
import { parseConfig } from "./common/config.ts";
import { createLogger } from "./common/logging.ts";
import { insertTestApp, openTestDatabase } from "./testing/db.ts";
import { createPlatform } from "./server.ts";

const LOAD_WORKERS = 4;

interface Fault {
  path: string;
  status: number;
  code: string | null;
  /** Sends the request another way (e.g. a slow upload). */
  send?: (url: string, client: Deno.HttpClient) => Promise<Response>;
}

const faults: Fault[] = [
  { path: "/loop", status: 504, code: "timeout" },
  { path: "/heap", status: 503, code: "memory_limit" },
  { path: "/arraybuffer", status: 503, code: "memory_limit" },
  { path: "/rejection", status: 200, code: null },
  { path: "/exit", status: 502, code: "executor_crashed" },
  { path: "/sigterm", status: 500, code: "script_error" },
  { path: "/hang", status: 504, code: "timeout" },
  { path: "/bigresponse", status: 502, code: "response_too_large" },
  { path: "/upload", status: 408, code: "timeout", send: slowUpload },
];

/** Sends a body one byte every 200 ms, never finishing on its own (a slow-loris upload). */
function slowUpload(url: string, client: Deno.HttpClient): Promise<Response> {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      await new Promise((r) => setTimeout(r, 200));
      if (++sent > 100) return c.close();
      c.enqueue(new Uint8Array([120]));
    },
  });
  return fetch(url, { method: "POST", body, client });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Drives B with LOAD_WORKERS sequential loops until `stop` resolves; returns latencies and errors. */
async function loadB(client: Deno.HttpClient, stop: Promise<void>) {
  let stopped = false;
  stop.then(() => stopped = true);
  const latencies: number[] = [];
  const errors: string[] = [];
  const deadline = Date.now() + 60_000;
  await Promise.all(Array.from({ length: LOAD_WORKERS }, async () => {
    while (!stopped && Date.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await fetch("http://b.test/", { client });
        const text = await res.text();
        if (res.status !== 200 || text !== "B ok") errors.push(`${res.status} ${text}`);
      } catch (err) {
        errors.push(String(err));
      }
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

Deno.test("faults - one app's faults never cost another app an error", async (t) => {
  const db = await openTestDatabase();
  const config = parseConfig({
    PICLOUD_TIMEOUT_MS: "3000",
    PICLOUD_MEMORY_LIMIT_MB: "192",
    PICLOUD_MAX_BODY_BYTES: String(8 * 1024 * 1024),
    PICLOUD_LOG_FLUSH_MS: "50",
  });
  const platform = await createPlatform(config, {
    db,
    log: createLogger("error", () => {}),
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req, info) => platform.tenant.fetch(req, info),
  );
  // The platform routes by Host; fetch cannot set Host, so it speaks to the server as a proxy.
  const client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${server.addr.port}` } });
  const rows: string[] = [];
  try {
    const faultSource = await Deno.readTextFile(new URL("./testdata/faults.ts", import.meta.url));
    const steadySource = await Deno.readTextFile(new URL("./testdata/steady.ts", import.meta.url));
    await insertTestApp(db.sql, { slug: "app-a", host: "a.test", source: faultSource });
    await insertTestApp(db.sql, { slug: "app-b", host: "b.test", source: steadySource });
    await platform.routing.reload();
    const okA = async () => {
      const res = await fetch("http://a.test/ok", { client });
      const text = await res.text();
      if (res.status !== 200) console.error("A not ok:", res.status, text);
      return res.status === 200 && text === "ok";
    };
    assert.ok(await okA());

    let release = () => {};
    const baseline = await loadB(client, new Promise<void>((r) => setTimeout(r, 1500)));
    assert.deepEqual(baseline.errors, []);
    const baseP99 = percentile(baseline.latencies, 0.99);
    rows.push(`baseline B: ${baseline.latencies.length} requests, p99 ${baseP99.toFixed(1)} ms`);

    for (const f of faults) {
      await t.step(`${f.path} → ${f.status} ${f.code ?? "ok"}; B unaffected`, async () => {
        const stop = new Promise<void>((r) => release = r);
        const load = loadB(client, stop);
        await new Promise((r) => setTimeout(r, 200));
        const t0 = performance.now();
        const res = f.send
          ? await f.send(`http://a.test${f.path}`, client)
          : await fetch(`http://a.test${f.path}`, { client });
        const text = await res.text();
        const answeredMs = performance.now() - t0;
        let gotCode = "ok";
        try {
          gotCode = JSON.parse(text).error?.code ?? "ok";
        } catch { /* a plain-text answer */ }
        const t1 = performance.now();
        let recovered = false;
        for (let i = 0; i < 200 && !recovered; i++) {
          recovered = await okA();
          if (!recovered) await new Promise((r) => setTimeout(r, 25));
        }
        const recoverMs = performance.now() - t1;
        await new Promise((r) => setTimeout(r, 200));
        release();
        const b = await load;
        const p99 = percentile(b.latencies, 0.99);
        rows.push(
          `${f.path.padEnd(13)} A got ${res.status} ${gotCode.padEnd(19)} after ` +
            `${answeredMs.toFixed(0).padStart(5)} ms; A serves again after ` +
            `${recoverMs.toFixed(0).padStart(4)} ms; B ${b.latencies.length} requests, ` +
            `${b.errors.length} errors, p99 ${p99.toFixed(1)} ms (${(p99 / baseP99).toFixed(1)}×)`,
        );
        assert.equal(res.status, f.status, text);
        if (f.code) assert.equal(JSON.parse(text).error.code, f.code);
        assert.ok(recovered, "A serves again");
        assert.deepEqual(b.errors, [], "B had no errors");
      });
    }
  } finally {
    console.log(["", "Fault suite:", ...rows].join("\n"));
    client.close();
    await server.shutdown();
    await platform.close();
    await db.close();
  }
});
