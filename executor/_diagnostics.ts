/** @module Turns the outcome of a deploy-time check into diagnostics a client can show. */

import type { Diagnostic, Outcome } from "./types.ts";
import { firstPosition, inWords } from "./_words.ts";

const MAX_MESSAGE_CHARS = 1_000;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
// A frame in the user's module once worded: `at main.ts:3:15` or `at fn (main.ts:3:15)`.
const FRAME_POSITION = /^\s+at (?:[^\n]*\()?[^\s()]+:(\d+):(\d+)\)?$/m;

/**
 * Empty for `ok`; otherwise one diagnostic saying why the source cannot run, with its position in
 * `entry` (the version's entry file: a frame there is the user's, any other is the platform's).
 */
export function diagnosticsOf(outcome: Outcome, entry?: string): Diagnostic[] {
  switch (outcome.kind) {
    case "ok":
      return [];
    case "rejected":
      return [parseLoadError(outcome.error, entry)];
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

/**
 * Extracts the first line of a loader error, in PiCloud's words (`_words.ts`; the loader has
 * worded it already, wording twice changes nothing), and the first position in the user's module.
 */
export function parseLoadError(text: string, entry?: string): Diagnostic {
  const clean = text.replace(ANSI, "");
  const body = clean.replace(/^(Error: )?Module failed to load: /, "");
  const worded = inWords(body, { entry });
  const first = worded.split("\n")[0].replace(/^TypeError: (SyntaxError: )/, "$1").trim();
  const message = (first || "The module failed to load").slice(0, MAX_MESSAGE_CHARS);
  const frame = FRAME_POSITION.exec(worded);
  const at = firstPosition(clean) ??
    (frame ? { line: Number(frame[1]), column: Number(frame[2]) } : undefined);
  return at ? { message, ...at } : { message };
}
