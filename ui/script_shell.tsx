/**
 * @module The frame of a script's page inside the app's Scripts tab: the script found by its id
 * within the app, its heading and its sections (Code · Versions · Environment · Policy).
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AppView, getApp } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import type { ScriptRow } from "../manager/scripts/repo.ts";
import { scriptFor, scriptNotFound } from "../manager/scripts/service.ts";
import { appPage } from "./app_shell.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";

/** The sections of a script's page, each its own address under the script. */
export const SCRIPT_SECTIONS = [
  { id: "code", label: "Code", path: "" },
  { id: "versions", label: "Versions", path: "/versions" },
  { id: "env", label: "Environment", path: "/env" },
  { id: "policy", label: "Policy & limits", path: "/policy" },
  { id: "try", label: "Try it", path: "/try" },
] as const;

/** One of the script page's sections. */
export type ScriptSection = typeof SCRIPT_SECTIONS[number]["id"];

/** The app `:slug` and its script `:id` (a script of another app is not found here). */
export async function appScriptOf(
  c: Context<UiEnv>,
  deps: ManagerDeps,
): Promise<{ app: AppView; script: ScriptRow }> {
  const p = callerOf(c)!;
  const app = await getApp(deps, p, c.req.param("slug")!);
  const id = c.req.param("id")!;
  const script = await scriptFor(deps, p, id, "script.read");
  if (script.app_id !== app.id) throw scriptNotFound(id);
  return { app, script };
}

/** The console address of a script's page (or one of its sections). */
export function scriptHref(app: AppView, script: ScriptRow, section: ScriptSection = "code") {
  const path = SCRIPT_SECTIONS.find((s) => s.id === section)!.path;
  return `/admin/apps/${app.slug}/scripts/${script.id}${path}`;
}

/** Renders one section of a script's page inside the app's Scripts tab. */
export function scriptPage(
  c: Context<UiEnv>,
  o: {
    app: AppView;
    script: ScriptRow;
    section: ScriptSection;
    status?: ContentfulStatusCode;
    notice?: string;
    islands?: string[];
  },
  body: Child,
): Response {
  return appPage(
    c,
    { app: o.app, tab: "scripts", status: o.status, sub: o.script.name, islands: o.islands },
    <>
      <div class="script-head">
        <h2>
          {o.script.name}{" "}
          <span class="badge">
            {o.script.active_version === null ? "no active version" : `v${o.script.active_version}`}
          </span>
        </h2>
        {o.script.description && <p class="hint">{o.script.description}</p>}
      </div>
      <nav class="tabs subtabs" aria-label="Script sections">
        {SCRIPT_SECTIONS.map((s) => (
          <a
            href={scriptHref(o.app, o.script, s.id)}
            aria-current={s.id === o.section ? "page" : undefined}
          >
            {s.label}
          </a>
        ))}
      </nav>
      {o.notice && <p class="alert notice" role="status">{o.notice}</p>}
      {body}
    </>,
  );
}

/** A time as `YYYY-MM-DD HH:MM UTC` in a `<time>` element. */
export function UtcTime(p: { d: Date }) {
  const d = new Date(p.d);
  return (
    <time datetime={d.toISOString()}>{d.toISOString().slice(0, 16).replace("T", " ")} UTC</time>
  );
}
