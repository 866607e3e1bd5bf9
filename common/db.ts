/** @module Opens the database: PostgreSQL from DATABASE_URL, or embedded PGlite served over a private socket. */
import postgres from "postgres";
import type { EmbeddedReply, EmbeddedRequest } from "./_embedded_worker.ts";
import type { EmbeddedPglite } from "./embedded_pglite.ts";

/** The postgres.js handle used everywhere. */
export type Sql = postgres.Sql;
/** A transaction handle passed down from `sql.begin`. */
export type Tx = postgres.TransactionSql;

/** An open database and how to close it. */
export interface Database {
  sql: Sql;
  /** `postgres` for an external server, `embedded` for PGlite. */
  kind: "postgres" | "embedded";
  /** Connections the pool may open (absent: unknown, e.g. a test's own handle). */
  maxConnections?: number;
  /** The embedded database's data directory as a tarball (a template for `OpenOptions`). */
  dumpDataDir?: () => Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Where to find or keep the data. */
export interface OpenOptions {
  /** `postgres://…` to use an external server; undefined for embedded PGlite. */
  databaseUrl?: string;
  /** Directory for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /** Connections in the postgres.js pool for PostgreSQL (default 10; embedded always uses 1). */
  maxConnections?: number;
  /**
   * An embedded `memory://` database starts from this dumped data directory (`dumpDataDir`)
   * instead of an empty one: tests start from one migrated template.
   */
  template?: Uint8Array;
  /**
   * The embedded database in its own Worker thread (the large memory profile) instead of the
   * main thread: its queries run beside request handling, on another core, for ~11–16 MB more.
   */
  thread?: boolean;
}

/** The data directory is held by another running process. */
export class DataDirLockedError extends Error {
  constructor(dir: string) {
    super(`The data directory ${dir} is in use by another PiCloud process`);
    this.name = "DataDirLockedError";
  }
}

const silent = () => {};

/** Opens the configured database. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const max = opts.maxConnections ?? 10;
    const sql = postgres(opts.databaseUrl, {
      max,
      onnotice: silent,
      connection: { application_name: "picloud" },
    });
    await sql`select 1`;
    return { sql, kind: "postgres", maxConnections: max, close: () => sql.end({ timeout: 5 }) };
  }
  return await openEmbedded(opts.dataDir, opts.template, opts.thread ?? false);
}

async function openEmbedded(
  dataDir: string,
  template: Uint8Array | undefined,
  thread: boolean,
): Promise<Database> {
  const inMemory = dataDir === "memory://";
  let lock: Deno.FsFile | undefined;
  if (!inMemory) {
    await Deno.mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  }
  const dir = inMemory ? null : `${dataDir}/pgdata`;
  let embedded: EmbeddedPglite;
  try {
    embedded = thread
      ? await startEmbeddedThread(dir, template)
      : await startEmbedded(dir, template);
  } catch (err) {
    lock?.close();
    throw err;
  }
  const sql = postgres({
    host: "127.0.0.1",
    port: embedded.port,
    user: "postgres",
    database: "postgres",
    // PGlite is one backend: its socket server interleaves the protocol messages of concurrent
    // connections (one connection's unnamed statement gets bound with another's parameters),
    // so the pool holds exactly one connection and queues the rest in postgres.js.
    max: 1,
    prepare: false,
    onnotice: silent,
  });
  await sql`select 1`;
  // Closing twice (a shutdown path and a finally) must not wait on a thread that is gone.
  let closed: Promise<void> | undefined;
  return {
    sql,
    kind: "embedded",
    maxConnections: 1,
    dumpDataDir: embedded.dump,
    close: () =>
      closed ??= (async () => {
        await sql.end({ timeout: 5 });
        await embedded.close();
        lock?.close();
      })(),
  };
}

/** The error of an embedded database that did not open, on either thread. */
const openFailed = (why: string) => new Error(`Embedded database failed to open: ${why}`);

/**
 * Opens PGlite and its socket server in this thread (the small memory profile). Loaded only
 * here, so a process on PostgreSQL or with the database thread does not hold PGlite's code.
 */
async function startEmbedded(dataDir: string | null, template?: Uint8Array) {
  const { openPglite } = await import("./embedded_pglite.ts");
  try {
    return await openPglite(dataDir, template);
  } catch (err) {
    throw openFailed(err instanceof Error ? err.message : String(err));
  }
}

/** Starts PGlite and its socket server in a Worker thread (the large memory profile). */
async function startEmbeddedThread(
  dataDir: string | null,
  template?: Uint8Array,
): Promise<EmbeddedPglite> {
  const worker = new Worker(new URL("./_embedded_worker.ts", import.meta.url), { type: "module" });
  const next = () =>
    new Promise<EmbeddedReply>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<EmbeddedReply>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`Embedded database thread failed: ${e.message}`));
      };
    });
  const send = (m: EmbeddedRequest) => worker.postMessage(m);
  const ready = next();
  send({ t: "open", dataDir, template: template ?? null });
  const reply = await ready.catch((err) => {
    worker.terminate();
    throw err;
  });
  if (reply.t !== "ready") {
    worker.terminate();
    throw openFailed(reply.t === "error" ? reply.message : reply.t);
  }
  return {
    port: reply.port,
    async dump(): Promise<Uint8Array> {
      const dumped = next();
      send({ t: "dump" });
      const r = await dumped;
      if (r.t !== "dumped") throw new Error("Embedded database could not be dumped");
      return r.tar;
    },
    async close() {
      const closed = next();
      send({ t: "close" });
      await closed.catch(() => {});
      worker.terminate();
    },
  };
}

/**
 * Takes the data directory's lock (`picloud.lock`), waiting up to 2 s; throws
 * `DataDirLockedError` when another process keeps it. Closing the file releases it.
 */
export async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
  const file = await Deno.open(`${dataDir}/picloud.lock`, { create: true, write: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), 2000));
  const got = await Promise.race([file.lock(true).then(() => "locked" as const), timeout]);
  clearTimeout(timer);
  if (got === "timeout") {
    file.close();
    throw new DataDirLockedError(dataDir);
  }
  return file;
}
