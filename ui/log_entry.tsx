/**
 * @module How the console shows execution log entries: one table row each, folded in a
 * `<details>` to its console output, error and the limit that stopped it (shared by the Logs and
 * Overview tabs).
 */
import type { LogView } from "../manager/logs/service.ts";

/** An instant as `YYYY-MM-DD HH:MM:SS UTC`. */
export function utc(at: Date | string): string {
  return `${new Date(at).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The status badge's class: errors stand out. */
function statusClass(e: LogView): string {
  if (e.status >= 500 || (e.outcome !== "ok" && e.outcome !== "client_closed")) return "badge bad";
  if (e.status >= 400) return "badge warn";
  return "badge";
}

/** What was run: `GET host/path`, or the trigger for a cron run. */
function requestOf(e: LogView): string {
  if (e.method === null) return e.trigger === "cron" ? "scheduled run" : e.trigger;
  return `${e.method} ${e.path ?? ""}`;
}

interface LogLine {
  level: string;
  message: string;
  at: number;
}

/** One entry: time, status/outcome, trigger, request, script version, duration, details. */
export function LogRow(p: { e: LogView; scripts: Map<string, string> }) {
  const e = p.e;
  const lines = (e.logs as LogLine[]) ?? [];
  const script = e.script_id === null ? "—" : p.scripts.get(e.script_id) ?? e.script_id.slice(0, 8);
  return (
    <tr id={`log-${e.id}`}>
      <td>{utc(e.at)}</td>
      <td>
        <span class={statusClass(e)}>{e.status}</span>{" "}
        {e.outcome !== "ok" && <span class="mono">{e.outcome}</span>}
      </td>
      <td data-label="Trigger">{e.trigger}</td>
      <td class="mono wrap">{requestOf(e)}</td>
      <td>
        {script}
        {e.version !== null && <span class="hint">{` v${e.version}`}</span>}
      </td>
      <td data-label="Duration">{`${e.duration_ms} ms`}</td>
      <td>
        <details class="log-entry">
          <summary>
            Details{lines.length > 0
              ? ` (${lines.length} line${lines.length === 1 ? "" : "s"})`
              : ""}
          </summary>
          {e.limit && (
            <p class="limit">
              {`Stopped by ${e.limit.name}: used ${e.limit.used} of ${e.limit.limit}`}
            </p>
          )}
          <p>Console output</p>
          {lines.length === 0
            ? <p class="empty">No console output.</p>
            : (
              <pre class="mono console-out">{lines.map((l) => `[${l.level}] ${l.message}`).join("\n")}</pre>
            )}
          {e.error && (
            <>
              <p>Error</p>
              <pre class="mono">{JSON.stringify(e.error, null, 2)}</pre>
            </>
          )}
          <p>Request</p>
          <pre class="mono">{[
            `id ${e.id} · request ${e.request_id}`,
            e.host ? `host ${e.host}` : "",
            `cpu ${e.cpu_ms ?? "—"} ms · memory ${e.memory_mb ?? "—"} MB`,
          ].filter(Boolean).join("\n")}</pre>
        </details>
      </td>
    </tr>
  );
}

/** The table of entries, newest first. */
export function LogTable(p: { items: LogView[]; scripts: Map<string, string>; caption: string }) {
  return (
    <table class="stack logs labelled">
      <caption class="sr-only">{p.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Request</th>
          <th scope="col">Script</th>
          <th scope="col">Duration</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {p.items.map((e) => <LogRow key={e.id} e={e} scripts={p.scripts} />)}
      </tbody>
    </table>
  );
}
