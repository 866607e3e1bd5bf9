/**
 * @module `picloud backup <file>` and `picloud restore <file>`: the embedded database and its
 * secret key in one file (`ops/`). A running server takes the backup itself, fetched with the
 * login `picloud login` saved; restore runs with the server stopped.
 */

import type { Command } from "commander";
import type { CliContext } from "./program.ts";
import { CliError } from "./io.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { loadConfig } from "./server_commands.ts";

/** Which exit code a refused backup or restore ends with, by its error code. */
/** Registers `backup` and `restore`. */
export function registerBackupCommands(program: Command, ctx: CliContext): void {
  program
    .command("backup")
    .description("back up the embedded database and its secret key into one file (mode 0600)")
    .argument("<file>", "the backup file to write (replaced atomically)")
    .addHelpText(
      "after",
      `
With no server running, the data directory (PICLOUD_DATA_DIR) is opened directly. While a server
runs, it takes the backup itself (consistent while serving): the file is fetched from its console
with the login of \`picloud login\` (an instance owner's API key). PostgreSQL: use pg_dump.
The file holds every secret and the key that opens them: keep it as safe as the data directory.

Example:
  picloud backup /var/backups/picloud-$(date +%F).tar.gz`,
    )
    .action(async (file: string, _opts, cmd: Command) => {
      const out = ctx.output(cmd);
      const config = await loadConfig(ctx.io.env);
      const login = await optionalLogin(ctx.io.env);
      const { backupToFile } = await import("../ops/mod.ts");
      const r = await refusals(() => backupToFile(config, file, login ?? {}));
      out.result(
        { file: r.file, bytes: r.bytes, via: r.via, manifest: r.manifest },
        () =>
          `backed up ${config.dataDir} to ${r.file} (${(r.bytes / 1048576).toFixed(1)} MB, ` +
          `schema ${r.manifest.schema_version}, ${
            r.via === "server" ? "taken by the running server" : "offline"
          })`,
      );
    });
  program
    .command("restore")
    .description("restore a backup into the data directory (the server must be stopped)")
    .argument("<file>", "a file written by picloud backup")
    .option("--force", "replace the database the data directory already holds", false)
    .addHelpText(
      "after",
      `
Restores into PICLOUD_DATA_DIR: an empty one, or any with --force. Refused while a server holds
it, for a damaged or foreign file, and for a backup from a newer PiCloud (upgrade first).
Pending migrations run when the server starts.

Example:
  systemctl stop picloud && picloud restore backup.tar.gz && systemctl start picloud`,
    )
    .action(async (file: string, opts: { force: boolean }, cmd: Command) => {
      const out = ctx.output(cmd);
      const config = await loadConfig(ctx.io.env);
      const { restoreFromFile } = await import("../ops/mod.ts");
      const r = await refusals(() => restoreFromFile(config, file, { force: opts.force }));
      for (const w of r.warnings) out.progress(`warning: ${w}`);
      out.result(
        { dataDir: r.dataDir, replaced: r.replaced, warnings: r.warnings, manifest: r.manifest },
        () =>
          `restored ${file} into ${r.dataDir} (schema ${r.manifest.schema_version}, taken ${r.manifest.created_at}${
            r.replaced ? "; the previous database was replaced" : ""
          })`,
      );
    });
}

/** The saved login, if any: a backup needs it only while a server runs. */
async function optionalLogin(env: Record<string, string | undefined>) {
  const { resolveCredentials } = await import("./remote/config.ts");
  try {
    return await resolveCredentials(env);
  } catch (err) {
    if (err instanceof CliError && err.code === "not_logged_in") return null;
    throw err;
  }
}

/** Runs `fn`, turning a refused backup or restore (and an unreachable server) into a CliError. */
async function refusals<T>(fn: () => Promise<T>): Promise<T> {
  const { ApiError } = await import("../common/errors.ts");
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) {
      throw new CliError(exitCodeFor(err.code), err.code, err.message);
    }
    if (err instanceof TypeError && /fetch|connect|Connection refused/i.test(err.message)) {
      throw new CliError(
        ExitCode.unavailable,
        "unreachable",
        `The server is not reachable: ${err.message}`,
      );
    }
    throw err;
  }
}
