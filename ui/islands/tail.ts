/**
 * @module The live-tail island: in `<section data-island="tail" data-feed="…">`, the "Live tail"
 * button opens an `EventSource` on the feed (the logs API with `follow=1`, `event: log`) and
 * shows each entry as a row at the top of a table, keeping the newest 200; Pause holds new rows
 * back until Resume. The stream closes when the page is hidden and reopens when it comes back.
 */
/// <reference lib="dom" />

/** Rows kept in the table; older ones are dropped from the bottom. */
export const MAX_ROWS = 200;

/** The fields of a log entry (manager/logs/api.ts `entrySchema`) that a row shows. */
export interface TailEntry {
  id: string;
  at: string;
  status: number;
  method: string | null;
  path: string | null;
  duration_ms: number;
  outcome: string;
  trigger?: string;
}

function cell(row: HTMLTableRowElement, text: string, className?: string): void {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

/** Builds one table row for an entry (text only: nothing from the feed becomes markup). */
export function entryRow(doc: Document, e: TailEntry): HTMLTableRowElement {
  const row = doc.createElement("tr");
  const at = new Date(e.at);
  // UTC, like every time the console shows.
  cell(row, Number.isNaN(at.getTime()) ? e.at : `${at.toISOString().slice(11, 19)} UTC`);
  cell(row, String(e.status), e.status >= 500 ? "bad" : e.status >= 400 ? "warn" : "good");
  cell(row, e.method ?? e.trigger ?? "");
  cell(row, e.path ?? "", "path");
  cell(row, `${e.duration_ms} ms`, "num");
  cell(row, e.outcome, e.outcome === "ok" ? "good" : "bad");
  return row;
}

/** Mounts the tail on one section; returns a function that closes it for good. */
export function mountTail(section: HTMLElement): () => void {
  const feed = section.dataset.feed;
  const start = section.querySelector("button");
  if (!feed || !start) return () => {};
  const doc = section.ownerDocument;

  const bar = doc.createElement("div");
  bar.className = "tail-bar";
  const pause = doc.createElement("button");
  pause.type = "button";
  pause.className = "secondary";
  pause.textContent = "Pause";
  pause.hidden = true;
  const status = doc.createElement("span");
  status.className = "tail-status";
  status.setAttribute("role", "status");
  bar.append(pause, status);

  // The table scrolls sideways on its own on a phone instead of widening the page.
  const scroller = doc.createElement("div");
  scroller.className = "tail-scroll";
  scroller.hidden = true;
  const table = doc.createElement("table");
  table.className = "tail-rows";
  scroller.append(table);
  const head = table.createTHead().insertRow();
  for (const h of ["Time", "Status", "Method", "Path", "Duration", "Outcome"]) {
    const th = doc.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  start.insertAdjacentElement("afterend", bar);
  bar.insertAdjacentElement("afterend", scroller);
  // The page sends the button hidden (it does nothing without this script): shown once mounted.
  start.hidden = false;

  let source: EventSource | null = null;
  let wanted = false;
  let paused = false;
  let held: TailEntry[] = [];

  const show = (text: string) => status.textContent = text;
  const add = (e: TailEntry) => {
    body.prepend(entryRow(doc, e));
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  };
  const open = () => {
    if (source) return;
    show("connecting…");
    source = new EventSource(feed);
    source.onopen = () => show(paused ? `paused (${held.length} new)` : "live");
    source.onerror = () => {
      // CONNECTING: the browser retries by itself; CLOSED: it gave up (e.g. signed out).
      if (source?.readyState === EventSource.CLOSED) {
        source = null;
        show("disconnected");
      } else show("reconnecting…");
    };
    source.addEventListener("log", (ev) => {
      let e: TailEntry;
      try {
        e = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      if (paused) {
        held.push(e);
        if (held.length > MAX_ROWS) held = held.slice(-MAX_ROWS);
        show(`paused (${held.length} new)`);
      } else add(e);
    });
  };
  const close = () => {
    source?.close();
    source = null;
  };

  start.addEventListener("click", () => {
    wanted = true;
    start.hidden = true;
    pause.hidden = false;
    scroller.hidden = false;
    open();
  });
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    if (!paused) {
      for (const e of held) add(e);
      held = [];
    }
    show(paused ? `paused (${held.length} new)` : source ? "live" : "disconnected");
  });
  const onHide = () => close();
  const onShow = () => {
    if (wanted) open();
  };
  addEventListener("pagehide", onHide);
  addEventListener("pageshow", onShow);
  return () => {
    wanted = false;
    close();
    removeEventListener("pagehide", onHide);
    removeEventListener("pageshow", onShow);
  };
}

for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-island="tail"]'))) {
  mountTail(el);
}
