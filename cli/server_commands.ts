/**
 * @module The commands that run PiCloud itself: `serve` (the default) and `migrate`. Both read
 * their configuration from the CLI's environment; the server is imported only when one of them
 * runs.
 */

import { type Command, Option } from "commander";
import type { CliContext } from "./program.ts";
import { CliError } from "./io.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Config } from "../common/config.ts";

/** Registers `serve` and `migrate`. */
export function registerServerCommands(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description("run the platform (what `picloud` alone does)")
    .addOption(
      new Option(
        "--role <role>",
        "what this process serves: all (everything), node (tenant port, executors, " +
          "schedules), manager (console port and admin API); split roles need DATABASE_URL " +
          "(default: PICLOUD_ROLE, else all)",
      ).choices(["all", "manager", "node"]),
    )
    .addHelpText(
      "after",
      `
The --role flag wins over PICLOUD_ROLE. With the embedded database (no DATABASE_URL) only
"all" is accepted: one process owns the data directory.

Examples:
  picloud serve
  DATABASE_URL=postgres://picloud@db/picloud picloud serve --role node`,
    )
    .action(async (opts: { role?: string }) => {
      const config = await loadConfig(ctx.io.env, { PICLOUD_ROLE: opts.role });
      const server = await import("../server.ts");
      await withServerErrors(() => server.serve(config));
    });
  program
    .command("migrate")
    .description("apply database migrations and exit")
    .addHelpText(
      "after",
      `
Prints each migration it applied, or the version the schema is already at.

Examples:
  picloud migrate
  picloud migrate --json    # {"applied":["0006_bundle_maps"],"version":6}`,
    )
    .action(async (_opts, cmd: Command) => {
      const out = ctx.output(cmd);
      const config = await loadConfig(ctx.io.env);
      const server = await import("../server.ts");
      const result = await withServerErrors(() => server.migrateOnly(config));
      out.result(result, () => migrateText(result));
    });
}

/** `picloud migrate`'s human output: each migration applied, or the version already current. */
export function migrateText(result: { applied: string[]; version: number }): string {
  if (result.applied.length === 0) return `schema current at ${result.version}`;
  return [...result.applied.map((name) => `applied ${name}`), `schema now at ${result.version}`]
    .join("\n");
}

/**
 * The configuration from `env` (the CLI's environment) with `overrides` on top (a flag wins over
 * its variable); a bad value is a usage error (exit 2).
 */
export async function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Record<string, string | undefined> = {},
): Promise<Config> {
  const { ConfigError, parseConfig } = await import("../common/config.ts");
  try {
    const given = Object.entries(overrides).filter(([, v]) => v !== undefined);
    return parseConfig({ ...env, ...Object.fromEntries(given) });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(ExitCode.usage, "config", err.message);
    throw err;
  }
}

/** Runs `fn`, turning a locked data directory or a bad configuration into one line. */
export async function withServerErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const { ConfigError } = await import("../common/config.ts");
    if (err instanceof ConfigError) throw new CliError(ExitCode.usage, "config", err.message);
    const { DataDirLockedError } = await import("../common/db.ts");
    if (err instanceof DataDirLockedError) {
      // One line and no stack: the usual cause is a second start (systemd and a shell, two shells).
      throw new CliError(
        ExitCode.unavailable,
        "data_dir_locked",
        `${err.message}; stop that process, or point PICLOUD_DATA_DIR at another ` +
          `directory (or DATABASE_URL at PostgreSQL) to run a second one`,
      );
    }
    const unreachable = databaseUnavailable(err);
    if (unreachable) throw unreachable;
    const { SchemaTooNewError } = await import("../common/migrate.ts");
    if (err instanceof SchemaTooNewError) {
      throw new CliError(ExitCode.failed, "schema_too_new", err.message);
    }
    throw err;
  }
}

/** A database that cannot be reached (refused, unknown host, timed out) as exit 3; else null. */
export function databaseUnavailable(err: unknown): CliError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  if (!/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)$/.test(code)) {
    return null;
  }
  return new CliError(
    ExitCode.unavailable,
    "database_unavailable",
    `cannot reach the database: ${(err as Error).message}`,
  );
}
