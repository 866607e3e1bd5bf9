/** @module Opens the database: PostgreSQL from DATABASE_URL, or embedded PGlite served over a private socket. */
import postgres from "postgres";

/** The postgres.js handle used everywhere. */
export type Sql = postgres.Sql;
/** A transaction handle passed down from `sql.begin`. */
export type Tx = postgres.TransactionSql;

/** An open database and how to close it. */
export interface Database {
  sql: Sql;
  /** `postgres` for an external server, `embedded` for PGlite. */
  kind: "postgres" | "embedded";
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
    const sql = postgres(opts.databaseUrl, {
      max: opts.maxConnections ?? 10,
      onnotice: silent,
      connection: { application_name: "picloud" },
    });
    await sql`select 1`;
    return { sql, kind: "postgres", close: () => sql.end({ timeout: 5 }) };
  }
  return await openEmbedded(opts.dataDir);
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const inMemory = dataDir === "memory://";
  let lock: Deno.FsFile | undefined;
  if (!inMemory) {
    await Deno.mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  }
  // Loaded lazily: PostgreSQL mode never pays for the WebAssembly build.
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create(inMemory ? undefined : `${dataDir}/pgdata`);
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: 2,
  });
  await server.start();
  const port = (server as unknown as { port: number }).port;
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "postgres",
    // PGlite is one backend: pglite-socket interleaves the protocol messages of concurrent
    // connections (one connection's unnamed statement gets bound with another's parameters),
    // so the pool holds exactly one connection and queues the rest in postgres.js.
    max: 1,
    prepare: false,
    onnotice: silent,
  });
  await sql`select 1`;
  return {
    sql,
    kind: "embedded",
    close: async () => {
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
      lock?.close();
    },
  };
}

async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
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
