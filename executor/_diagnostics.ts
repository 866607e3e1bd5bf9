/** @module Turns the outcome of a deploy-time check into diagnostics a client can show. */

import type { Diagnostic, Outcome } from "./types.ts";

const MAX_MESSAGE_CHARS = 1_000;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const LOCATION = /blob:[^\s)]*?:(\d+):(\d+)/;

/** Empty for `ok`; otherwise one diagnostic saying why the source cannot run, with its position. */
export function diagnosticsOf(outcome: Outcome): Diagnostic[] {
  switch (outcome.kind) {
    case "ok":
      return [];
    case "rejected":
      return [parseLoadError(outcome.error)];
    case "timeout":
      return [{ message: `Loading the module took longer than ${outcome.limitMs} ms` }];
    case "memory":
      return [{ message: `Loading the module used more than ${outcome.limitMb} MB` }];
    case "crashed":
      return [{ message: `Loading the module crashed its executor: ${outcome.reason}` }];
    case "capacity":
      return [{ message: "Every executor slot is busy: the module was not checked", busy: true }];
    default:
      return [{ message: `The module could not be checked (${outcome.kind})` }];
  }
}

/** Extracts the first line of a loader error and the first position in the user's module. */
export function parseLoadError(text: string): Diagnostic {
  const clean = text.replace(ANSI, "");
  const body = clean.replace(/^(Error: )?Module failed to load: /, "");
  const first = body.split("\n")[0].replace(/^TypeError: (SyntaxError: )/, "$1").trim();
  const message = (first || "The module failed to load").slice(0, MAX_MESSAGE_CHARS);
  const at = LOCATION.exec(clean);
  return at ? { message, line: Number(at[1]), column: Number(at[2]) } : { message };
}
