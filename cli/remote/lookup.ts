/** @module Finding an app's script by name (or id), as the remote commands name scripts. */

import { CliError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";
import { adminPath, type ApiClient } from "./client.ts";

/** A script as the API returns it. */
export interface Script {
  id: string;
  app_id: string;
  name: string;
  active_version: number | null;
  updated_at: string;
}

/** The app's scripts (404 `app_not_found` → exit 5). */
export async function listScripts(api: ApiClient, app: string): Promise<Script[]> {
  const { items } = await api.json<{ items: Script[] }>("GET", adminPath`/scripts`, {
    query: { app },
  });
  return items;
}

/** The app's script named (or with the id) `ref`, or undefined. */
export async function findScript(
  api: ApiClient,
  app: string,
  ref: string,
): Promise<Script | undefined> {
  return (await listScripts(api, app)).find((s) => s.name === ref || s.id === ref);
}

/** As `findScript`, but a missing script is exit 5. */
export async function requireScript(api: ApiClient, app: string, ref: string): Promise<Script> {
  const script = await findScript(api, app, ref);
  if (!script) {
    throw new CliError(ExitCode.notFound, "script_not_found", `App ${app} has no script ${ref}`);
  }
  return script;
}
