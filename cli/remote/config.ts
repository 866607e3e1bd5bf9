/**
 * @module Where `picloud login` keeps the server URL and API key: `config.json` in the user's
 * config directory (0700, the file 0600, written atomically), overridden by `PICLOUD_URL` and
 * `PICLOUD_API_KEY`.
 */

import { CliError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";

/** A server and the key to act on it with. */
export interface Credentials {
  url: string;
  apiKey: string;
}

/** `$XDG_CONFIG_HOME/picloud/config.json`, or `~/.config/picloud/config.json`. */
export function configPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : undefined);
  if (!base) {
    throw new CliError(
      ExitCode.usage,
      "no_config_dir",
      "Cannot tell where to keep the credentials: set HOME or XDG_CONFIG_HOME",
    );
  }
  return `${base}/picloud/config.json`;
}

/** A server URL as typed (`pi.local:8001`, `https://…/`) made absolute, without a trailing slash. */
export function normalizeUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(ExitCode.usage, "invalid_url", `Not a server URL: ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(ExitCode.usage, "invalid_url", `Use an http or https URL: ${raw}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** Writes the credentials atomically: a 0600 file beside the target, then a rename. */
export async function saveCredentials(
  env: Record<string, string | undefined>,
  creds: Credentials,
): Promise<string> {
  const path = configPath(env);
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and ignored for an existing directory.
  await Deno.chmod(dir, 0o700);
  const tmp = `${dir}/.config.json.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(creds, null, 2) + "\n", {
      mode: 0o600,
      createNew: true,
    });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return path;
}

/** Removes the stored credentials; false when there were none. */
export async function removeCredentials(env: Record<string, string | undefined>): Promise<boolean> {
  try {
    await Deno.remove(configPath(env));
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The stored credentials, or null when there are none. */
export async function readStoredCredentials(
  env: Record<string, string | undefined>,
): Promise<Partial<Credentials> | null> {
  const path = configPath(env);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    const data = JSON.parse(text);
    return {
      url: typeof data.url === "string" ? data.url : undefined,
      apiKey: typeof data.apiKey === "string" ? data.apiKey : undefined,
    };
  } catch {
    throw new CliError(
      ExitCode.usage,
      "bad_config",
      `${path} is not valid JSON: run picloud login again`,
    );
  }
}

/** The credentials to use: `PICLOUD_URL` / `PICLOUD_API_KEY` first, then the stored file. */
export async function resolveCredentials(
  env: Record<string, string | undefined>,
): Promise<Credentials> {
  const stored = env.PICLOUD_URL && env.PICLOUD_API_KEY ? null : await readStoredCredentials(env);
  const url = env.PICLOUD_URL || stored?.url;
  const apiKey = env.PICLOUD_API_KEY || stored?.apiKey;
  if (!url || !apiKey) {
    throw new CliError(
      ExitCode.auth,
      "not_logged_in",
      "Not logged in: run picloud login <url> (or set PICLOUD_URL and PICLOUD_API_KEY)",
    );
  }
  return { url: normalizeUrl(url), apiKey };
}
