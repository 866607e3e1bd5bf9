/**
 * @module The embedded database's wire: a loopback TCP listener that hands each PostgreSQL
 * protocol message of its clients to PGlite and writes back PGlite's answer. It replaces the
 * `@electric-sql/pglite-socket` package, whose peer dependencies (seven extension packages)
 * were fetched at install and first start though nothing here loads an extension.
 */

/** What the server needs of a PGlite instance. */
export interface ProtocolBackend {
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
  isInTransaction(): boolean;
  exec(query: string): Promise<unknown>;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** A running listener. */
export interface EmbeddedSocketServer {
  port: number;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSS_REQUEST = 80877104;
const PROTOCOL_3 = 196608;

/** The big-endian int32 at `at` (PostgreSQL's lengths and codes). */
const int32At = (b: Uint8Array, at: number) =>
  (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];

/**
 * Length of the complete message at `from` in `buf[0, len)` (0: incomplete); `startup` for the
 * untyped first message.
 */
function messageLength(buf: Uint8Array, from: number, len: number, startup: boolean): number {
  const have = len - from;
  if (startup) {
    if (have < 4) return 0;
    const n = int32At(buf, from);
    return have >= n ? n : 0;
  }
  if (have < 5) return 0;
  const n = 1 + int32At(buf, from + 1);
  return have >= n ? n : 0;
}

/** Writes all of `data` (a socket write may take part of it). */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/**
 * Listens on `hostname`:0 and serves at most `maxConnections` clients, one protocol message at a
 * time across all of them (PGlite is one backend): while a client's transaction is open, the
 * other clients' messages wait; a client that disconnects inside its transaction is rolled back.
 */
export function serveEmbeddedSocket(
  db: ProtocolBackend,
  opts: { hostname: string; maxConnections: number },
): EmbeddedSocketServer {
  const listener = Deno.listen({ hostname: opts.hostname, port: 0 });
  const conns = new Set<Deno.TcpConn>();
  let tail: Promise<void> = Promise.resolve();
  /** The client whose transaction is open, and wakers of the others waiting for it to end. */
  let owner: number | null = null;
  let waiters: (() => void)[] = [];
  const release = () => {
    owner = null;
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  };
  /**
   * Runs `fn` alone, after any other client's open transaction has ended; under PGlite's query
   * lock unless `fn` takes that lock itself (`exec`).
   */
  const exclusive = async <T>(id: number, fn: () => Promise<T>, locks = true): Promise<T> => {
    while (true) {
      const prev = tail;
      let done!: () => void;
      tail = new Promise<void>((r) => done = r);
      await prev;
      if (owner !== null && owner !== id) {
        // Another client's transaction is open: give the turn back and wait for its end.
        const ended = new Promise<void>((r) => waiters.push(r));
        done();
        await ended;
        continue;
      }
      try {
        const out = await (locks ? db.runExclusive(fn) : fn());
        if (db.isInTransaction()) owner = id;
        else if (owner === id) release();
        return out;
      } finally {
        done();
      }
    }
  };

  let nextId = 1;
  const serve = async (conn: Deno.TcpConn, id: number) => {
    // Reads land straight in `buf` after what it holds; it doubles when full.
    let buf = new Uint8Array(64 * 1024);
    let len = 0;
    let startup = true;
    try {
      while (true) {
        if (len === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) break;
        len += n;
        while (true) {
          // After the startup, every complete message in the buffer goes to PGlite in one call
          // (a pipelined Parse/Bind/Execute/Sync is one round through the backend and one write).
          let size = 0;
          for (let m; (m = messageLength(buf, size, len, startup)) > 0;) {
            size += m;
            if (startup) break;
          }
          if (size === 0) break;
          const message = buf.slice(0, size);
          buf.copyWithin(0, size, len);
          len -= size;
          if (startup) {
            const code = int32At(message, 4);
            if (code === SSL_REQUEST || code === GSS_REQUEST) {
              await writeAll(conn, new Uint8Array([78])); // 'N': no encryption, send the startup
              continue;
            }
            if (code === CANCEL_REQUEST) continue; // not supported: one backend, nothing to cancel
            if (code === PROTOCOL_3) startup = false;
          }
          const reply = await exclusive(id, () => db.execProtocolRaw(message));
          if (reply.length > 0) await writeAll(conn, reply);
        }
      }
    } catch { /* the client went away */ }
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed */ }
    if (owner === id) {
      await exclusive(id, async () => {
        if (db.isInTransaction()) await db.exec("ROLLBACK");
      }, false).catch(() => {});
      if (owner === id) release();
    }
  };

  const accepting = (async () => {
    for await (const conn of listener) {
      if (conns.size >= opts.maxConnections) {
        conn.close();
        continue;
      }
      conn.setNoDelay(true);
      conns.add(conn);
      serve(conn, nextId++);
    }
  })().catch(() => {});

  return {
    port: (listener.addr as Deno.NetAddr).port,
    async stop() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      conns.clear();
      await accepting;
      await tail;
    },
  };
}
