/** @module Test helpers of the command line: run it in process and keep what it prints. */

import { runCli } from "./program.ts";
import type { CliIo } from "./io.ts";

/** Runs the CLI in process, capturing what it prints. */
export async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env };
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
