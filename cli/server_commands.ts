/**
 * @module The commands that run PiCloud itself: `serve` (the default) and `migrate`. Both read
 * their configuration from the environment; the server is imported only when one of them runs.
 */

import type { Command } from "commander";
import type { CliContext } from "./program.ts";
import { CliError } from "./io.ts";
import { ExitCode } from "./exit_codes.ts";

/** Registers `serve` and `migrate`. */
export function registerServerCommands(program: Command, _ctx: CliContext): void {
  program
    .command("serve")
    .description("run the platform (what `picloud` alone does)")
    .action(async () => {
      const config = await loadConfig();
      const server = await import("../server.ts");
      await withServerErrors(() => server.serve(config));
    });
  program
    .command("migrate")
    .description("apply database migrations and exit")
    .action(async () => {
      const config = await loadConfig();
      const server = await import("../server.ts");
      await withServerErrors(() => server.migrateOnly(config));
    });
}

/** The configuration from the environment; a bad value is a usage error (exit 2). */
export async function loadConfig() {
  const { ConfigError, parseConfig } = await import("../common/config.ts");
  try {
    return parseConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(ExitCode.usage, "config", err.message);
    throw err;
  }
}

/** Runs `fn`, turning a locked data directory or a bad configuration into one line. */
export async function withServerErrors(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
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
    throw err;
  }
}
