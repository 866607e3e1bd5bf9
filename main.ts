/**
 * @module PiCloud's entry point: `picloud <command>` (see `cli/program.ts`; `serve` is the
 * default), and the internal `executor` role. The executor role runs with `--no-npm`, so it is
 * dispatched before anything else is imported and loads only the executor's own code.
 */

/** Runs one CLI command; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "executor") {
    const { runExecutorChild } = await import("./executor/child.ts");
    await runExecutorChild(args.slice(1));
    return 0;
  }
  const { runCli } = await import("./cli/program.ts");
  return await runCli(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
