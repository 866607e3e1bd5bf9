/**
 * @module PiCloud's command line: `serve` (default), `migrate`, and the internal `executor` role.
 * Everything is imported lazily so the executor role, which runs with `--no-npm`, loads only the
 * executor's own code.
 */

const usage = `Usage: picloud <command>

Commands:
  serve     Run the platform (default)
  migrate   Apply database migrations and exit
  help      Show this help

Configuration comes from the environment; see README.md.`;

/** Runs one CLI command; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [command = "serve", ...rest] = args;
  if (command === "executor") {
    const { runExecutorChild } = await import("./executor/child.ts");
    await runExecutorChild(rest);
    return 0;
  }
  if (command === "help" || command === "--help" || command === "-h") {
    console.log(usage);
    return 0;
  }
  if (command !== "serve" && command !== "migrate") {
    console.error(`Unknown command: ${command}\n\n${usage}`);
    return 2;
  }
  const { ConfigError, parseConfig } = await import("./common/config.ts");
  let config;
  try {
    config = parseConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const server = await import("./server.ts");
  try {
    if (command === "migrate") await server.migrateOnly(config);
    else await server.serve(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    const { DataDirLockedError } = await import("./common/db.ts");
    if (err instanceof DataDirLockedError) {
      // One line and no stack: the usual cause is a second start (systemd and a shell, two shells).
      console.error(
        `picloud: ${err.message}; stop that process, or point PICLOUD_DATA_DIR at another ` +
          `directory (or DATABASE_URL at PostgreSQL) to run a second one`,
      );
      return 1;
    }
    throw err;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
