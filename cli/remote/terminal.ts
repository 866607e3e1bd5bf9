/**
 * @module What the remote commands need from the terminal beyond `CliIo`: standard input (a
 * secret piped in, or typed with echo off), Ctrl-C as an abort signal, and aligned tables.
 */

import type { CliIo } from "../io.ts";
import { CliError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";

/** `CliIo` with what tests may replace: standard input and the stop signal of `--follow`. */
export interface RemoteIo extends CliIo {
  /** Standard input (default: the process's). */
  stdin?: ReadableStream<Uint8Array>;
  /** Ends a `--follow` (default: the process's Ctrl-C). */
  signal?: AbortSignal;
}

const MAX_STDIN_BYTES = 64 * 1024;

/** All of standard input (a key or password piped in), without the trailing newline. */
export async function readStdinSecret(io: RemoteIo): Promise<string> {
  const stream = io.stdin ?? Deno.stdin.readable;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) {
      throw new CliError(ExitCode.usage, "usage", "Standard input is too long for a secret");
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) bytes.set(c, at), at += c.length;
  return new TextDecoder().decode(bytes).replace(/\r?\n$/, "");
}

/**
 * Asks for a secret on the terminal with echo off. Without a terminal (or in tests, which pass
 * their own stdin) it is a usage error naming the `--…-stdin` option to use instead.
 */
export async function promptSecret(io: RemoteIo, label: string, stdinFlag: string) {
  if (io.stdin || !Deno.stdin.isTerminal()) {
    throw new CliError(
      ExitCode.usage,
      "usage",
      `No terminal to ask for the ${label} on: pipe it with ${stdinFlag}`,
    );
  }
  const enc = new TextEncoder();
  await Deno.stderr.write(enc.encode(`${label}: `));
  Deno.stdin.setRaw(true);
  const typed: string[] = [];
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      const text = new TextDecoder().decode(buf.subarray(0, n));
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return typed.join("");
        if (ch === "\u0003") throw new CliError(ExitCode.failed, "cancelled", "Cancelled");
        if (ch === "\u007f" || ch === "\b") typed.pop();
        else if (ch >= " ") typed.push(ch);
      }
    }
    return typed.join("");
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(enc.encode("\n"));
  }
}

/** An abort signal for "until Ctrl-C": the test's, or one SIGINT fires (and `done` releases). */
export function stopSignal(io: RemoteIo): { signal: AbortSignal; done(): void } {
  if (io.signal) return { signal: io.signal, done: () => {} };
  const ac = new AbortController();
  const onInt = () => ac.abort();
  Deno.addSignalListener("SIGINT", onInt);
  return { signal: ac.signal, done: () => Deno.removeSignalListener("SIGINT", onInt) };
}

/** Rows as columns padded to their widest cell (the last column is not padded). */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : (cell ?? "").padEnd(widths[i])).join("  ")
      .trimEnd()
  ).join("\n");
}
