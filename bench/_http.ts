/** @module A tiny HTTP/1.1 client over raw TCP, so probes can set any `Host` (fetch overrides it). */

import type { Started } from "./_proc.ts";

/** One probe's result. */
export interface Probe {
  status: number;
  body: string;
  /** Wall time from connect to the end of the response, ms. */
  ms: number;
}

/** A request to 127.0.0.1:`port` with a given `Host`; `Connection: close`, bounded by `timeoutMs`. */
export async function request(
  port: number,
  opts: { host: string; path?: string; method?: string; body?: string; timeoutMs?: number },
): Promise<Probe> {
  const start = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), opts.timeoutMs ?? 10_000);
  try {
    const body = new TextEncoder().encode(opts.body ?? "");
    const head = `${opts.method ?? "GET"} ${opts.path ?? "/"} HTTP/1.1\r\nHost: ${opts.host}\r\n` +
      `Connection: close\r\n` +
      (opts.body === undefined
        ? ""
        : `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`) +
      "\r\n";
    const bytes = new Uint8Array([...new TextEncoder().encode(head), ...body]);
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (let i = 0; i < 10_000; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
    if (!m) throw new Error(`Bad HTTP response from port ${port}: ${text.slice(0, 80)}`);
    const sep = text.indexOf("\r\n\r\n");
    let payload = sep >= 0 ? text.slice(sep + 4) : "";
    if (/\r\ntransfer-encoding: chunked/i.test(text.slice(0, sep))) payload = unchunk(payload);
    return { status: Number(m[1]), body: payload, ms: performance.now() - start };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer or the peer */ }
  }
}

function unchunk(s: string): string {
  let out = "";
  for (let i = 0; i < 10_000 && s.length > 0; i++) {
    const nl = s.indexOf("\r\n");
    const size = parseInt(s.slice(0, nl), 16);
    if (!(size > 0)) break;
    out += s.slice(nl + 2, nl + 2 + size);
    s = s.slice(nl + 2 + size + 2);
  }
  return out;
}

/**
 * Polls until `GET path` answers 200, the process exits, or `timeoutMs` passes; throws with the
 * server's output tail otherwise. Returns ms from call to ready.
 */
export async function waitReady(
  server: Started,
  port: number,
  opts: { host: string; path?: string; timeoutMs?: number },
): Promise<number> {
  const start = performance.now();
  const deadline = start + (opts.timeoutMs ?? 60_000);
  let exited = false;
  server.child.status.then(() => exited = true);
  let last = "no answer";
  while (performance.now() < deadline && !exited) {
    try {
      const r = await request(port, { host: opts.host, path: opts.path, timeoutMs: 5_000 });
      if (r.status === 200) return performance.now() - start;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = exited ? "exited" : `not ready after ${opts.timeoutMs ?? 60_000} ms`;
  throw new Error(
    `${server.name} (pid ${server.pid}) ${why}; last probe: ${last}\n--- output tail ---\n` +
      server.tail(),
  );
}
