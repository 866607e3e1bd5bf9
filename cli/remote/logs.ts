/**
 * @module `picloud logs --app <slug>`: the newest execution log entries as a table (time, status,
 * ms, script, request, first error line), or one JSON object per line; `--follow` reads the live
 * tail (Server-Sent Events) until Ctrl-C and prints each entry as it comes.
 */

import type { Command } from "commander";
import type { CliContext } from "../program.ts";
import { CliError, type Output, usageError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";
import { adminPath, type ApiClient, connect } from "./client.ts";
import { listScripts } from "./lookup.ts";
import { type RemoteIo, stopSignal, table } from "./terminal.ts";

/** One execution log entry (the fields the table shows; `--json` prints all of them). */
export interface LogEntry {
  id: string;
  at: string;
  status: number;
  outcome: string;
  duration_ms: number;
  script_id: string | null;
  method: string | null;
  path: string | null;
  trigger: string;
  error: Record<string, unknown> | null;
}

const HEADERS = ["TIME", "STATUS", "MS", "SCRIPT", "REQUEST", "ERROR"];

/** Registers `logs`. */
export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command("logs")
    .description("show an app's newest execution log entries, or follow them live")
    .requiredOption("--app <slug>", "the app")
    .option("--script <name>", "only this script (name or id)")
    .option("--limit <n>", "how many entries (1-500)", "50")
    .option("-f, --follow", "keep printing new entries until Ctrl-C")
    .addHelpText(
      "after",
      `
Examples:
  picloud logs --app default --limit 20
  picloud logs --app default --script greet --follow
  picloud logs --app default --json | jq .status     # one JSON object per line`,
    )
    .action(async (opts, cmd: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        throw usageError(`--limit must be a whole number from 1 to 500, not ${opts.limit}`);
      }
      const out = ctx.output(cmd);
      const api = await connect(ctx.io.env);
      const names = new ScriptNames(api, opts.app);
      if (opts.follow) return await follow(api, out, names, { ...opts, io: ctx.io as RemoteIo });
      const page = await api.json<{ items: LogEntry[]; gaps: { dropped: number }[] }>(
        "GET",
        adminPath`/apps/${opts.app}/logs`,
        { query: { script: opts.script, limit } },
      );
      // Oldest first, as a terminal reads them (the API pages newest first).
      const items = [...page.items].reverse();
      if (out.json) {
        for (const e of items) ctx.io.out(JSON.stringify(e));
        return;
      }
      await names.load();
      const dropped = page.gaps.reduce((n, g) => n + g.dropped, 0);
      if (dropped) out.progress(`${dropped} entries were never recorded (log buffer full)`);
      ctx.io.out(
        items.length ? table(HEADERS, items.map((e) => row(e, names))) : "no log entries yet",
      );
    });
}

/** A table row for one entry. */
export function row(e: LogEntry, names: { get(id: string | null): string }): string[] {
  const error = e.error ? firstErrorLine(e.error) : e.outcome === "ok" ? "" : e.outcome;
  const time = new Date(e.at);
  const when = Number.isNaN(time.getTime()) ? e.at : time.toISOString().slice(0, 19) + "Z";
  const request = e.trigger === "cron" ? "(schedule)" : `${e.method ?? ""} ${e.path ?? ""}`.trim();
  return [when, String(e.status), String(e.duration_ms), names.get(e.script_id), request, error];
}

/** A `--follow` line: the table's columns at fixed widths (later rows cannot re-align earlier). */
function followLine(cells: string[]): string {
  const widths = [20, 3, 6, 12, 30];
  return cells.map((c, i) => i < widths.length ? c.padEnd(widths[i]) : c).join("  ").trimEnd();
}

/** The first line of what an entry's error says (`kind: message`, as recorded). */
export function firstErrorLine(error: Record<string, unknown>): string {
  const text = ["message", "error", "reason", "code"].map((k) => error[k])
    .find((v): v is string => typeof v === "string");
  const kind = typeof error.kind === "string" ? error.kind : "";
  if (text === undefined) return kind || JSON.stringify(error);
  const line = text.split("\n")[0];
  return kind ? `${kind}: ${line}` : line;
}

/** Script names by id, read once (again when an unknown id shows up, at most once per id). */
class ScriptNames {
  #names = new Map<string, string>();
  #tried = new Set<string>();
  constructor(readonly api: ApiClient, readonly app: string) {}
  async load(missing?: string | null) {
    if (missing) {
      if (this.#names.has(missing) || this.#tried.has(missing)) return;
      this.#tried.add(missing);
    }
    for (const s of await listScripts(this.api, this.app)) this.#names.set(s.id, s.name);
  }
  get(id: string | null): string {
    return id === null ? "-" : this.#names.get(id) ?? id.slice(0, 8);
  }
}

async function follow(
  api: ApiClient,
  out: Output,
  names: ScriptNames,
  opts: { app: string; script?: string; io: RemoteIo },
): Promise<void> {
  const stop = stopSignal(opts.io);
  try {
    let res: Response;
    try {
      res = await api.request("GET", adminPath`/apps/${opts.app}/logs`, {
        query: { script: opts.script, follow: 1 },
        signal: stop.signal,
      });
    } catch (err) {
      if (stop.signal.aborted) return;
      throw err;
    }
    if (!out.json) await names.load();
    out.progress(`following app ${opts.app}; Ctrl-C to stop`);
    for await (const event of sseEvents(res.body!, stop.signal)) {
      if (event.event === "end") {
        const reason = JSON.parse(event.data || "{}").reason ?? "ended";
        throw new CliError(ExitCode.auth, reason, `The server ended the tail: ${reason}`);
      }
      if (event.event !== "log") continue;
      const entry = JSON.parse(event.data) as LogEntry;
      if (out.json) opts.io.out(event.data);
      else {
        await names.load(entry.script_id);
        opts.io.out(followLine(row(entry, names)));
      }
    }
  } finally {
    stop.done();
  }
}

/** The events of a Server-Sent Events body (comments skipped), until it ends or `signal` aborts. */
export async function* sseEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort);
  let buf = "";
  try {
    while (!signal.aborted) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      if (chunk.done) return;
      buf += chunk.value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        if (data.length || event !== "message") yield { event, data: data.join("\n") };
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock?.();
  }
}
