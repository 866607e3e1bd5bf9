/**
 * @module The `picloud` command line, on commander: the program, its global `--json`, and the
 * commands each module registers. A command throws `CliError` to fail; `runCli` turns that, and
 * commander's own usage errors, into one line (or JSON) and an exit code from `exit_codes.ts`.
 */

import { Command, CommanderError } from "commander";
import { CliError, type CliIo, Output, processIo } from "./io.ts";
import { ExitCode, exitCodesHelp } from "./exit_codes.ts";
import { registerServerCommands } from "./server_commands.ts";
import { registerAdminCommands } from "./admin_commands.ts";
import { registerBackupCommands } from "./backup_commands.ts";
import { registerRemoteCommands } from "./remote/mod.ts";

/** What a module's `register` function gets: the program and how to print. */
export interface CliContext {
  io: CliIo;
  /** The output of the command being run (honours the global `--json`). */
  output(cmd: Command): Output;
}

/** Builds the program with every command; `io` is where it prints. */
export function buildProgram(io: CliIo): Command {
  const program = new Command("picloud")
    .description("PiCloud: scripts on your own hardware, behind an HTTP endpoint.")
    .option("--json", "print results (and errors, on stderr) as JSON")
    .showHelpAfterError()
    .addHelpText(
      "after",
      `\n${exitCodesHelp}\n\nConfiguration comes from the environment; see README.md.`,
    )
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const ctx: CliContext = {
    io,
    output: (cmd) => new Output(io, Boolean(cmd.optsWithGlobals().json)),
  };
  registerServerCommands(program, ctx);
  registerAdminCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerRemoteCommands(program, ctx);
  // Every subcommand reports usage errors the same way instead of exiting the process.
  for (const cmd of program.commands) inherit(cmd, io);
  return program;
}

function inherit(cmd: Command, io: CliIo): void {
  cmd.exitOverride().configureOutput({
    writeOut: (s) => io.out(s.trimEnd()),
    writeErr: (s) => io.err(s.trimEnd()),
  }).showHelpAfterError("(run with --help for usage)");
  for (const sub of cmd.commands) inherit(sub, io);
}

/** Runs the command line `args` (without the program name); returns the exit code. */
export async function runCli(args: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    // `picloud` alone runs the platform, as `picloud serve` does.
    await program.parseAsync(args.length === 0 ? ["serve"] : args, { from: "user" });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; a usage error was already printed.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) return new Output(io, args.includes("--json")).fail(err);
    throw err;
  }
}
