/**
 * @module Server-rendered views of script sources: the numbered excerpts that show compile
 * diagnostics at their lines, and the unified line diff between two versions (by the `diff`
 * package).
 */
import { structuredPatch } from "diff";

/** One reason a source cannot run, as the deploy check reports it (1-based position). */
export interface Diagnostic {
  message: string;
  line?: number;
  column?: number;
}

/** A run of source lines to show, `first` to `last` (1-based, inclusive), and the marked ones. */
export interface Excerpt {
  first: number;
  last: number;
  marked: Set<number>;
}

/** Lines shown around a diagnostic's line, on each side. */
export const EXCERPT_CONTEXT_LINES = 2;

/** Lines of context a diff keeps around each change. */
export const DIFF_CONTEXT_LINES = 3;

/** The refusals of a deploy that carry diagnostics at the source's lines. */
export const SOURCE_ERRORS: ReadonlySet<string> = new Set([
  "compile_error",
  "bundle_failed",
  "dependency_unavailable",
  "unsupported_api",
]);

/** Each of `SOURCE_ERRORS` shown next to the source field. */
export const SOURCE_FIELD: Readonly<Record<string, string>> = Object.fromEntries(
  [...SOURCE_ERRORS].map((code) => [code, "source"]),
);

/** The diagnostics of a deploy's refusal (an empty list for anything else). */
export function diagnosticsOf(details: unknown): Diagnostic[] {
  const list = (details as { diagnostics?: unknown } | undefined)?.diagnostics;
  if (!Array.isArray(list)) return [];
  return list.filter((d): d is Diagnostic => typeof d?.message === "string");
}

/**
 * The excerpts that show each diagnostic's line with `context` lines around it, merged where
 * they touch or overlap, in source order. Lines outside the source are clamped.
 */
export function excerptsFor(
  lineCount: number,
  lines: number[],
  context = EXCERPT_CONTEXT_LINES,
): Excerpt[] {
  const wanted = [...new Set(lines.filter((n) => n >= 1 && n <= lineCount))].sort((a, b) => a - b);
  const out: Excerpt[] = [];
  for (const n of wanted) {
    const first = Math.max(1, n - context);
    const last = Math.min(lineCount, n + context);
    const prev = out.at(-1);
    if (prev && first <= prev.last + 1) {
      prev.last = Math.max(prev.last, last);
      prev.marked.add(n);
    } else out.push({ first, last, marked: new Set([n]) });
  }
  return out;
}

/** The anchor id of a source line in the diagnostics excerpt. */
export function lineAnchor(n: number): string {
  return `src-L${n}`;
}

/**
 * The diagnostics as a list of "line:col message" links, each to its line in a numbered excerpt
 * of `source` (the offending lines marked); diagnostics without a line are listed unlinked.
 */
export function DiagnosticsView(p: { source: string; diagnostics: Diagnostic[] }) {
  const lines = p.source.split("\n");
  const excerpts = excerptsFor(
    lines.length,
    p.diagnostics.map((d) => d.line ?? 0),
  );
  return (
    <div class="diagnostics" role="alert">
      <p>
        <strong>The script cannot run.</strong>{" "}
        Nothing was deployed; fix the source and deploy again.
      </p>
      <ul class="diag-list">
        {p.diagnostics.map((d) => {
          const at = d.line ? `${d.line}:${d.column ?? 1}` : null;
          return (
            <li>
              {at && d.line! <= lines.length
                ? <a href={`#${lineAnchor(d.line!)}`} class="mono">{at}</a>
                : at && <span class="mono">{at}</span>} <span>{d.message}</span>
            </li>
          );
        })}
      </ul>
      {excerpts.map((e) => (
        <table class="code excerpt" aria-label={`Lines ${e.first} to ${e.last}`}>
          <tbody>
            {lines.slice(e.first - 1, e.last).map((text, i) => {
              const n = e.first + i;
              const marked = e.marked.has(n);
              return (
                <tr id={lineAnchor(n)} class={marked ? "marked" : undefined}>
                  <th scope="row" class="ln">{n}</th>
                  <td>
                    <code>{text || " "}</code>
                    {marked && <span class="sr-only">(error on this line)</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
    </div>
  );
}

/** One line of a unified diff: its kind, its numbers in the old and new sources, its text. */
export interface DiffLine {
  kind: "context" | "added" | "removed";
  oldLine: number | null;
  newLine: number | null;
  text: string;
}

/** The hunks of a unified line diff from `before` to `after`, each as numbered lines. */
export function lineDiff(
  before: string,
  after: string,
  context = DIFF_CONTEXT_LINES,
): { header: string; lines: DiffLine[] }[] {
  const patch = structuredPatch("before", "after", before, after, "", "", { context });
  return patch.hunks.map((h) => {
    let o = h.oldStart;
    let n = h.newStart;
    const lines: DiffLine[] = [];
    for (const raw of h.lines) {
      const sign = raw[0];
      const text = raw.slice(1);
      if (sign === "\\") continue; // "\ No newline at end of file"
      if (sign === "-") lines.push({ kind: "removed", oldLine: o++, newLine: null, text });
      else if (sign === "+") lines.push({ kind: "added", oldLine: null, newLine: n++, text });
      else lines.push({ kind: "context", oldLine: o++, newLine: n++, text });
    }
    return {
      header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      lines,
    };
  });
}

const SIGN = { context: " ", added: "+", removed: "-" } as const;

/** A unified diff as a table: old and new line numbers, the sign, the line. */
export function DiffView(p: { before: string; after: string; label: string }) {
  const hunks = lineDiff(p.before, p.after);
  if (hunks.length === 0) return <p class="empty">The two versions have the same source.</p>;
  return (
    <table class="code diff" aria-label={p.label}>
      <tbody>
        {hunks.map((h) => (
          <>
            <tr class="hunk">
              <td colspan={4} class="mono">{h.header}</td>
            </tr>
            {h.lines.map((l) => (
              <tr class={l.kind}>
                <th scope="row" class="ln">{l.oldLine ?? ""}</th>
                <th scope="row" class="ln">{l.newLine ?? ""}</th>
                <td class="sign" aria-label={l.kind === "context" ? undefined : l.kind}>
                  {SIGN[l.kind]}
                </td>
                <td>
                  <code>{l.text || " "}</code>
                </td>
              </tr>
            ))}
          </>
        ))}
      </tbody>
    </table>
  );
}
