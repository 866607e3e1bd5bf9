/** @module The app page `/admin/apps/{slug}` and its tabs, behind the old-slug redirect. */
import type { Hono } from "hono";
import type { ManagerDeps } from "../manager/deps.ts";
import { redirectOldSlug } from "./app_shell.tsx";
import { bindDomainsTab } from "./domains_tab.tsx";
import type { UiEnv } from "./layout.tsx";
import { bindLogsTab } from "./logs_tab.tsx";
import { bindMembersTab } from "./members_tab.tsx";
import { bindOverviewTab } from "./overview_tab.tsx";
import { bindRoutesTab } from "./routes_tab.tsx";
import { bindSchedulesTab } from "./schedules_tab.tsx";
import { bindScriptCode } from "./script_code.tsx";
import { bindScriptEnv } from "./script_env.tsx";
import { bindScriptPolicy } from "./script_policy.tsx";
import { bindScriptsTab } from "./scripts_tab.tsx";
import { bindSettingsTab } from "./settings_tab.tsx";

/** Binds every app tab under `/apps/:slug`. */
export function bindAppPages(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const redirect = redirectOldSlug(deps);
  ui.use("/apps/:slug", redirect);
  ui.use("/apps/:slug/*", redirect);
  bindOverviewTab(ui, deps);
  bindLogsTab(ui, deps);
  bindSettingsTab(ui, deps);
  bindMembersTab(ui, deps);
  bindDomainsTab(ui, deps);
  bindRoutesTab(ui, deps);
  bindSchedulesTab(ui, deps);
  bindScriptsTab(ui, deps);
  bindScriptCode(ui, deps);
  bindScriptEnv(ui, deps);
  bindScriptPolicy(ui, deps);
}
