/** @module How `picloud` commands print: human text, or JSON with `--json`; errors carry an exit code. */

import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";

/** Where a command's output goes (the terminal, or a test's buffers). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Environment variables (config, HOME/XDG dirs). */
  env: Record<string, string | undefined>;
}

/**
 * Writes all of `bytes` to stdout or stderr. A reader that went away (`picloud logs | head`) ends
 * the command quietly, as a closed pipe ends any Unix tool: exit 0 for stdout, nothing more to
 * say for stderr.
 */
function writeAll(stream: typeof Deno.stdout | typeof Deno.stderr, bytes: Uint8Array): void {
  try {
    for (let at = 0; at < bytes.length;) at += stream.writeSync(bytes.subarray(at));
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
    if (stream === Deno.stdout) Deno.exit(0);
  }
}

/** The process's own stdout, stderr and environment. */
export function processIo(): CliIo {
  const enc = new TextEncoder();
  const line = (text: string) => enc.encode(text.endsWith("\n") ? text : text + "\n");
  return {
    out: (text) => writeAll(Deno.stdout, line(text)),
    err: (text) => writeAll(Deno.stderr, line(text)),
    env: Deno.env.toObject(),
  };
}

/**
 * A command's failure: printed as one line (`picloud: message`), or as
 * `{"error":{"code","message",...}}` on stderr with `--json`, and the process exits with `exit`.
 */
export class CliError extends Error {
  constructor(
    readonly exit: ExitCodeValue,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Prints a command's result: `human()` as text, or `data` as JSON when `--json` was given. */
export class Output {
  constructor(readonly io: CliIo, readonly json: boolean) {}

  /** The result of the command. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.io.out(JSON.stringify(data));
    else {
      const text = human();
      if (text) this.io.out(text);
    }
  }

  /** Progress for a person (stderr; silent with `--json`). */
  progress(text: string): void {
    if (!this.json) this.io.err(text);
  }

  /** Prints a failure and returns its exit code. */
  fail(err: CliError): ExitCodeValue {
    if (this.json) {
      this.io.err(
        JSON.stringify({ error: { code: err.code, message: err.message, ...err.details } }),
      );
    } else this.io.err(`picloud: ${err.message}`);
    return err.exit;
  }
}

/** A usage error (bad option value and the like). */
export function usageError(message: string): CliError {
  return new CliError(ExitCode.usage, "usage", message);
}
