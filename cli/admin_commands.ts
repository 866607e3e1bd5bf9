/**
 * @module `picloud admin create | reset-password`: admin users made or rescued offline, straight
 * against the configured database (the embedded data directory or `DATABASE_URL`), through the
 * users service. The password never comes from the command line (it would show in `ps`): it is
 * read from stdin (`--password-stdin`), `PICLOUD_ADMIN_PASSWORD`, or a prompt with echo off.
 */

import type { Command } from "commander";
import type { CliContext } from "./program.ts";
import { CliError, type CliIo, usageError } from "./io.ts";
import { ExitCode } from "./exit_codes.ts";
import { databaseUnavailable, loadConfig } from "./server_commands.ts";

/** Where a password is read from: the process's stdin, or a test's stream. */
export interface PasswordInput {
  readable: ReadableStream<Uint8Array>;
  isTerminal(): boolean;
  /** Echo off (raw mode) on a terminal. */
  setRaw?(raw: boolean): void;
  /** Shows a prompt without a line break (default: on stderr). */
  ask?(text: string): void;
}

/** A `CliIo` that may carry its own stdin (tests); without it, the process's stdin is read. */
export type AdminIo = CliIo & { stdin?: PasswordInput };

/** The longest password line read: the policy allows 1024 characters, the rest is refused. */
const MAX_LINE_BYTES = 16 * 1024;

/** Registers `admin create` and `admin reset-password`. */
export function registerAdminCommands(program: Command, ctx: CliContext): void {
  const admin = program
    .command("admin")
    .description("create admin users or reset a password, offline against the database")
    .addHelpText(
      "after",
      `
Runs against the configured database (PICLOUD_DATA_DIR, or DATABASE_URL), applying
migrations first on a fresh one. With the embedded database the server must be stopped.

Examples:
  picloud admin create --email owner@example.com --role owner
  printf '%s\\n' "$PW" | picloud admin reset-password --email owner@example.com --password-stdin`,
    );
  const passwordHelp = `
The password: one line from stdin with --password-stdin, else PICLOUD_ADMIN_PASSWORD, else a
prompt (echo off) on a terminal. Never as an argument. At least 8 characters.`;
  admin
    .command("create")
    .description("create an admin user with a password")
    .requiredOption("--email <email>", "the user's email (their sign-in name)")
    .option(
      "--role <role>",
      "instance role: owner or admin (default: owner for the first user, admin after)",
    )
    .option("--name <name>", "display name", "")
    .option("--password-stdin", "read the password as one line from stdin", false)
    .addHelpText(
      "after",
      `${passwordHelp}

Examples:
  picloud admin create --email owner@example.com          # the first user: an owner
  PICLOUD_ADMIN_PASSWORD=... picloud --json admin create --email ops@example.com --name Ops`,
    )
    .action(async (opts: CreateOptions, cmd: Command) => {
      const out = ctx.output(cmd);
      const { userFields } = await import("../manager/users/api.ts");
      const role = opts.role;
      if (role !== undefined && role !== "owner" && role !== "admin") {
        throw usageError(`--role must be owner or admin, not ${JSON.stringify(role)}`);
      }
      const email = check(userFields.email, opts.email, "--email");
      const name = check(userFields.display_name, opts.name, "--name");
      const password = await newPassword(ctx.io, opts.passwordStdin);
      const user = await withDatabase(ctx, out.progress.bind(out), async (deps) => {
        const { createUserAsOperator } = await import("../manager/users/service.ts");
        return await createUserAsOperator(deps, {
          email,
          password,
          display_name: name,
          instance_role: role,
        });
      });
      out.result(
        { user: publicUser(user) },
        () => `created ${user.instance_role} ${user.email} (id ${user.id})`,
      );
    });
  admin
    .command("reset-password")
    .description("set a user's password and end their sessions")
    .requiredOption("--email <email>", "the user's email")
    .option("--password-stdin", "read the password as one line from stdin", false)
    .addHelpText(
      "after",
      `${passwordHelp}

Examples:
  picloud admin reset-password --email owner@example.com
  printf '%s\\n' "$PW" | picloud admin reset-password --email owner@example.com --password-stdin`,
    )
    .action(async (opts: { email: string; passwordStdin: boolean }, cmd: Command) => {
      const out = ctx.output(cmd);
      const password = await newPassword(ctx.io, opts.passwordStdin);
      const done = await withDatabase(ctx, out.progress.bind(out), async (deps) => {
        const { resetPasswordAsOperator } = await import("../manager/users/service.ts");
        return await resetPasswordAsOperator(deps, opts.email, password);
      });
      out.result(
        { user: publicUser(done.user), sessions_ended: done.sessionsEnded },
        () =>
          `password of ${done.user.email} reset; ${done.sessionsEnded} ` +
          `session${done.sessionsEnded === 1 ? "" : "s"} ended`,
      );
    });
}

interface CreateOptions {
  email: string;
  role?: string;
  name: string;
  passwordStdin: boolean;
}

/** What is printed of a user: never the password or its hash (the row holds neither). */
function publicUser(u: {
  id: string;
  email: string;
  display_name: string;
  instance_role: string;
  active: boolean;
}) {
  return {
    id: u.id,
    email: u.email,
    display_name: u.display_name,
    instance_role: u.instance_role,
    active: u.active,
  };
}

/** Validates with the API's own schema; a refusal is a usage error naming the rule. */
function check<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const rule = r.error.issues.map((i) => i.message).join("; ");
  throw new CliError(
    ExitCode.usage,
    what === "password" ? "weak_password" : "usage",
    `${what}: ${rule}`,
  );
}

/** A new password for a user: read (asked twice on a terminal), then held to the API's rule. */
async function newPassword(io: AdminIo, fromStdin: boolean): Promise<string> {
  const { userFields } = await import("../manager/users/api.ts");
  return check(
    userFields.password,
    await readPassword(io, fromStdin),
    "password",
  );
}

/**
 * A new password, from `--password-stdin`, `PICLOUD_ADMIN_PASSWORD` or a prompt on a terminal
 * (asked twice, so a typo is not stored); never echoed, never logged.
 */
export async function readPassword(io: AdminIo, fromStdin: boolean): Promise<string> {
  const stdin = io.stdin ?? Deno.stdin;
  if (fromStdin) {
    const line = await readLine(stdin.readable);
    if (line === null) throw usageError("--password-stdin: stdin held no line");
    return line;
  }
  const fromEnv = io.env.PICLOUD_ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!stdin.isTerminal()) {
    throw usageError(
      "no password: pass --password-stdin with the password on stdin, set " +
        "PICLOUD_ADMIN_PASSWORD, or run on a terminal to be asked",
    );
  }
  const keys = byteReader(stdin.readable);
  try {
    const first = await prompt(io, stdin, keys, "Password: ");
    const second = await prompt(io, stdin, keys, "Password again: ");
    if (first !== second) throw usageError("the two passwords differ");
    return first;
  } finally {
    keys.release();
  }
}

/** Reads one line (without its `\n` / `\r\n`); null when the stream ends before any byte. */
async function readLine(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const keys = byteReader(stream);
  const bytes: number[] = [];
  let sawAny = false;
  try {
    for (let b = await keys.next(); b !== null; b = await keys.next()) {
      sawAny = true;
      if (b === 0x0a) break;
      if (bytes.length > MAX_LINE_BYTES) throw usageError("password: the line is too long");
      bytes.push(b);
    }
  } finally {
    keys.release();
  }
  if (!sawAny) return null;
  return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
}

/** A stream's bytes one at a time (what is read ahead stays for the next call). */
function byteReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let chunk: Uint8Array = new Uint8Array(0);
  let at = 0;
  return {
    async next(): Promise<number | null> {
      while (at >= chunk.length) {
        const { value, done } = await reader.read();
        if (done) return null;
        chunk = value;
        at = 0;
      }
      return chunk[at++];
    },
    release: () => reader.releaseLock(),
  };
}

/** Asks on the terminal with echo off (raw mode); Enter ends, Backspace erases, Ctrl-C aborts. */
async function prompt(
  io: CliIo,
  stdin: PasswordInput,
  keys: ReturnType<typeof byteReader>,
  question: string,
): Promise<string> {
  const ask = stdin.ask ??
    ((text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text)));
  ask(question);
  stdin.setRaw?.(true);
  const bytes: number[] = [];
  try {
    for (let b = await keys.next(); b !== null; b = await keys.next()) {
      if (b === 0x0d || b === 0x0a || b === 0x04) break;
      if (b === 0x03) throw new CliError(ExitCode.failed, "aborted", "aborted");
      if (b === 0x7f || b === 0x08) bytes.pop();
      else if (bytes.length <= MAX_LINE_BYTES) bytes.push(b);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    stdin.setRaw?.(false);
    io.err("");
  }
}

type ServiceDeps =
  & { sql: import("../common/db.ts").Sql }
  & ReturnType<
    typeof import("../manager/mod.ts").createIdentityParts
  >;

/**
 * Opens the configured database, brings its schema up to date (saying so when it applied
 * anything), runs `fn` with what the users service needs, and closes it. A data directory in use
 * by a running server is exit 3; the service's refusals become exit codes.
 */
async function withDatabase<T>(
  ctx: CliContext,
  progress: (text: string) => void,
  fn: (deps: ServiceDeps) => Promise<T>,
): Promise<T> {
  const config = await loadConfig(ctx.io.env);
  const { DataDirLockedError, openDatabase } = await import("../common/db.ts");
  const { loadMigrations, migrate } = await import("../common/migrate.ts");
  const { createIdentityParts } = await import("../manager/mod.ts");
  const { ApiError } = await import("../common/errors.ts");
  let db;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new CliError(
        ExitCode.unavailable,
        "data_dir_locked",
        `${err.message}: stop the server first, or use the console or the API`,
      );
    }
    throw databaseUnavailable(err) ?? err;
  }
  try {
    const migrations = await loadMigrations();
    const applied = await migrate(db.sql, migrations).catch((err) => {
      throw databaseUnavailable(err) ?? err;
    });
    if (applied.length > 0) {
      progress(`applied ${applied.length} migration(s) first (schema now at ${applied.at(-1)})`);
    }
    return await fn({ sql: db.sql, ...createIdentityParts(config.auth) });
  } catch (err) {
    if (err instanceof ApiError) {
      const exit = err.code === "user_not_found" ? ExitCode.notFound : ExitCode.failed;
      throw new CliError(exit, err.code, err.message);
    }
    throw err;
  } finally {
    await db.close();
  }
}
