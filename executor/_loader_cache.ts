/**
 * @module The Workers globals PiCloud provides in the loader Worker: `caches` (`caches.default`
 * and named caches) as a bounded in-memory LRU private to the script version's Worker, and
 * `scheduler.wait`. Exports only a factory: the cache entries live in the Worker's own scope.
 */

/** Bounds of the in-memory cache, per script Worker. */
export interface CacheLimits {
  /** Sum of the stored bodies and headers, all caches of the Worker together. */
  maxBytes: number;
  maxEntries: number;
  /** Larger responses are not stored (`put` resolves; the next `match` misses). */
  maxEntryBytes: number;
}

/** 8 MiB, 1,000 entries, 1 MiB a response: small next to a 128 MB executor. */
export const CACHE_LIMITS: CacheLimits = {
  maxBytes: 8 * 1024 * 1024,
  maxEntries: 1_000,
  maxEntryBytes: 1024 * 1024,
};

interface Entry {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  bytes: number;
  expiresAt: number;
}

type Key = Request | string | URL;

function urlOf(key: Key): { url: string; method: string } {
  const req = key instanceof Request ? key : null;
  const url = new URL(req ? req.url : String(key));
  url.hash = "";
  return { url: url.href, method: req?.method ?? "GET" };
}

/** Seconds a response may be kept for; 0 means not at all; Infinity means until evicted. */
function lifetimeS(headers: Headers): number {
  const cc = (headers.get("cache-control") ?? "").toLowerCase();
  if (/(^|[,\s])(no-store|private)([,\s=]|$)/.test(cc)) return 0;
  if (headers.has("set-cookie")) return 0;
  const age = /s-maxage=(\d+)/.exec(cc) ?? /(?:^|[,\s])max-age=(\d+)/.exec(cc);
  if (age) return Number(age[1]);
  const expires = headers.get("expires");
  if (expires) return Math.max(0, (Date.parse(expires) - Date.now()) / 1000) || 0;
  return Infinity;
}

async function readBounded(res: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Installs `caches` and `scheduler` on the Worker's global scope. The cache is the Workers Cache
 * API's shape (`match`, `put`, `delete`) kept in this Worker's memory: GET requests only, keyed by
 * URL; `Cache-Control: no-store` / `private`, `Set-Cookie` and over-size responses are not kept;
 * `s-maxage` / `max-age` / `Expires` set the lifetime; the least recently used entry goes first.
 * It is private to one script version (never shared with another script or app) and empties when
 * the Worker is unloaded: like any cache, it may miss at any time.
 */
export function installWorkersGlobals(limits: CacheLimits = CACHE_LIMITS): void {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return false;
    entries.delete(key);
    bytes -= e.bytes;
    return true;
  };
  const cacheNamed = (name: string) => {
    const keyOf = (k: Key) => `${name}\0${urlOf(k).url}`;
    return Object.freeze({
      match(k: Key, opts?: { ignoreMethod?: boolean }): Promise<Response | undefined> {
        const { method } = urlOf(k);
        if (method !== "GET" && method !== "HEAD" && !opts?.ignoreMethod) {
          return Promise.resolve(undefined);
        }
        const key = keyOf(k);
        const e = entries.get(key);
        if (!e) return Promise.resolve(undefined);
        if (e.expiresAt <= Date.now()) {
          drop(key);
          return Promise.resolve(undefined);
        }
        entries.delete(key);
        entries.set(key, e);
        const body = method === "HEAD" ? null : e.body.slice();
        const headers = new Headers(e.headers);
        return Promise.resolve(
          new Response(body, { status: e.status, statusText: e.statusText, headers }),
        );
      },
      async put(k: Key, res: Response): Promise<void> {
        if (urlOf(k).method !== "GET") throw new TypeError("Cache.put() accepts GET requests only");
        if (!(res instanceof Response)) throw new TypeError("Cache.put() needs a Response");
        if (res.status === 206) throw new TypeError("Cache.put() refuses partial (206) responses");
        if ((res.headers.get("vary") ?? "").includes("*")) {
          throw new TypeError("Cache.put() refuses responses with Vary: *");
        }
        const lifetime = lifetimeS(res.headers);
        const body = await readBounded(res, limits.maxEntryBytes);
        const key = keyOf(k);
        drop(key);
        if (lifetime <= 0 || body === null) return;
        const headers = [...res.headers];
        const size = body.byteLength + headers.reduce((n, [a, b]) => n + a.length + b.length, 0);
        if (size > limits.maxBytes) return;
        entries.set(key, {
          status: res.status,
          statusText: res.statusText,
          headers,
          body,
          bytes: size,
          expiresAt: Date.now() + lifetime * 1000,
        });
        bytes += size;
        for (const old of entries.keys()) {
          if (bytes <= limits.maxBytes && entries.size <= limits.maxEntries) break;
          drop(old);
        }
      },
      delete(k: Key): Promise<boolean> {
        return Promise.resolve(drop(keyOf(k)));
      },
    });
  };
  const named = new Map<string, ReturnType<typeof cacheNamed>>();
  const open = (name: string) => {
    const key = String(name);
    // Bounded like the entries: a script opening ever new names reuses the budget above.
    if (!named.has(key) && named.size < 64) named.set(key, cacheNamed(key));
    return named.get(key) ?? cacheNamed(key);
  };
  const caches = Object.freeze({
    default: cacheNamed(""),
    open: (name: string) => Promise.resolve(open(name)),
    has: (name: string) => Promise.resolve(named.has(String(name))),
    delete(name: string): Promise<boolean> {
      const prefix = `${String(name)}\0`;
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) drop(key);
      return Promise.resolve(named.delete(String(name)));
    },
  });
  const scheduler = Object.freeze({
    /** Workers' `scheduler.wait(ms)`: a promise-returning `setTimeout`, abortable. */
    wait(ms: number, opts?: { signal?: AbortSignal }): Promise<void> {
      return new Promise((resolve, reject) => {
        const signal = opts?.signal;
        if (signal?.aborted) return reject(signal.reason);
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, Math.max(0, Number(ms) || 0));
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  });
  const define = (name: string, value: unknown) =>
    Object.defineProperty(globalThis, name, { value, configurable: false, writable: false });
  define("caches", caches);
  define("scheduler", scheduler);
}
