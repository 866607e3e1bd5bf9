/**
 * @module The commands that act on a PiCloud server over its admin API: `login`, `logout`,
 * `deploy`, `logs`, `apps|scripts|routes|schedules list` and `rollback`.
 */

import type { Command } from "commander";
import type { CliContext } from "../program.ts";
import { registerLoginCommands } from "./login.ts";
import { registerDeployCommand } from "./deploy.ts";
import { registerLogsCommand } from "./logs.ts";
import { registerListCommands } from "./lists.ts";

/** Registers every remote command on `program`. */
export function registerRemoteCommands(program: Command, ctx: CliContext): void {
  registerLoginCommands(program, ctx);
  registerDeployCommand(program, ctx);
  registerLogsCommand(program, ctx);
  registerListCommands(program, ctx);
}
