/**
 * @module The editor island: turns `<textarea data-island="editor">` into a CodeMirror 6 editor
 * (TypeScript highlighting, history, the server's diagnostics as lint markers) that writes every
 * change back into the textarea, so the surrounding form posts `source` as it does without
 * JavaScript. Colours come from CSS variables, so dark mode follows `prefers-color-scheme`. The
 * editor lives in a shadow root: CodeMirror's styles are then adopted style sheets, which the
 * console's CSP (`style-src 'self'`, no inline styles) allows, where a `<style>` element is not.
 */
/// <reference lib="dom" />
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { javascriptLanguage, typescriptLanguage } from "@codemirror/lang-javascript";
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

/** One server diagnostic as the page renders it in `data-diagnostics` (1-based line/column). */
export interface ServerDiagnostic {
  line: number;
  column: number;
  message: string;
  severity?: "error" | "warning" | "info";
}

// Colours are CSS variables defined in console.css (light and dark), not literals here.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.modifier, t.controlKeyword, t.operatorKeyword], color: "var(--cm-keyword)" },
  { tag: [t.string, t.special(t.string), t.regexp], color: "var(--cm-string)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--cm-number)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--cm-comment)" },
  { tag: [t.typeName, t.className, t.namespace], color: "var(--cm-type)" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "var(--cm-function)" },
  { tag: t.definition(t.variableName), color: "var(--cm-definition)" },
  { tag: t.invalid, color: "var(--danger)" },
]);

const theme = EditorView.theme({
  "&": {
    backgroundColor: "var(--panel)",
    color: "var(--text)",
    fontSize: "14px",
    minHeight: "16rem",
    maxHeight: "70vh",
    borderRadius: "6px",
  },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { overflow: "auto", minHeight: "16rem" },
  ".cm-content": { caretColor: "var(--text)", fontFamily: "var(--cm-mono)" },
  ".cm-gutters": {
    backgroundColor: "var(--bg)",
    color: "var(--muted)",
    borderRight: "1px solid var(--line)",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--cm-active)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": {
    backgroundColor: "var(--cm-selection) !important",
  },
  ".cm-cursor": { borderLeftColor: "var(--text)" },
});

/** Converts the server's 1-based line/column diagnostics to document ranges (clamped). */
export function toDiagnostics(doc: Text, items: ServerDiagnostic[]): Diagnostic[] {
  return items.map((d) => {
    const line = doc.line(Math.min(Math.max(1, Math.trunc(d.line) || 1), doc.lines));
    const from = Math.min(line.from + Math.max(0, (Math.trunc(d.column) || 1) - 1), line.to);
    // Mark the word at the column (or one character), so the marker is visible.
    const word = /^[\w$]+/.exec(doc.sliceString(from, line.to))?.[0].length ?? 1;
    return {
      from,
      to: Math.min(from + Math.max(1, word), line.to),
      severity: d.severity ?? "error",
      message: String(d.message),
    };
  });
}

function parseDiagnostics(raw: string | undefined): ServerDiagnostic[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((d) => d && typeof d.line === "number") : [];
  } catch {
    return [];
  }
}

function labelOf(area: HTMLTextAreaElement): string {
  const label = area.labels?.[0]?.textContent?.trim();
  return label || area.getAttribute("aria-label") || "Source code";
}

/** Mounts one editor over the textarea; the textarea stays in the form, hidden, kept in sync. */
export function mountEditor(area: HTMLTextAreaElement): EditorView {
  const typescript = (area.dataset.language ?? "typescript") === "typescript";
  const host = area.ownerDocument.createElement("div");
  host.className = "island-editor";
  const root = host.attachShadow({ mode: "open" });
  // In the page (and the textarea out of it) before CodeMirror first measures its lines.
  area.insertAdjacentElement("afterend", host);
  area.hidden = true;
  const view = new EditorView({
    root,
    parent: root,
    state: EditorState.create({
      doc: area.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        indentOnInput(),
        bracketMatching(),
        typescript ? typescriptLanguage : javascriptLanguage,
        syntaxHighlighting(highlight),
        lintGutter(),
        theme,
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's tab-focus escape).
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": labelOf(area) }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) area.value = u.state.doc.toString();
        }),
      ],
    }),
  });
  // A label click focuses the editor instead of the hidden textarea.
  for (const label of Array.from(area.labels ?? [])) {
    label.addEventListener("click", (e) => {
      e.preventDefault();
      view.focus();
    });
  }
  area.form?.addEventListener("submit", () => {
    area.value = view.state.doc.toString();
  });
  const diagnostics = toDiagnostics(view.state.doc, parseDiagnostics(area.dataset.diagnostics));
  if (diagnostics.length > 0) view.dispatch(setDiagnostics(view.state, diagnostics));
  return view;
}

for (const el of Array.from(document.querySelectorAll('textarea[data-island="editor"]'))) {
  mountEditor(el as HTMLTextAreaElement);
}
