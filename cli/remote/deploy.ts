/**
 * @module `picloud deploy <file|dir> --app <slug>`: packs (`pack.ts`), creates the script when the
 * name is new, uploads a version (the server bundles and checks it), adds the `--route`s that are
 * missing, and says where it serves. A refusal prints each diagnostic as `file:line:col message`.
 */

import type { Command } from "commander";
import type { CliContext } from "../program.ts";
import { CliError, type Output } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";
import { adminPath, type ApiClient, connect } from "./client.ts";
import { packDir, packFile, sizeText, type Upload } from "./pack.ts";
import { findScript, type Script } from "./lookup.ts";

const REFUSALS = new Set([
  "compile_error",
  "bundle_failed",
  "dependency_unavailable",
  "unsupported_api",
  "invalid_upload",
]);

interface Version {
  version: number;
  entry: string;
  bundle_bytes: number | null;
  packages: Record<string, string>;
}

interface Route {
  id: string;
  script_id: string;
  method: string;
  path: string;
  host: string | null;
}

/** Registers `deploy`. */
export function registerDeployCommand(program: Command, ctx: CliContext): void {
  program
    .command("deploy")
    .description("upload a script file or folder as a new version (creating the script if new)")
    .argument("<path>", "a .ts/.js file, or a folder (packed as tar.gz)")
    .requiredOption("--app <slug>", "the app to deploy to")
    .option("--name <name>", "the script's name (default: the file or folder name)")
    .option(
      "--route <route>",
      'route to the script, as "METHOD /path" (repeatable; added when missing)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--entry <file>", "the entry module of a folder (default: main.ts, index.ts, mod.ts…)")
    .addHelpText(
      "after",
      `
Examples:
  picloud deploy hello.ts --app default --route "GET /hello/:name"
  picloud deploy ./api --app shop --name api --entry src/app.ts --route "ANY /api/*"

A folder is sent without node_modules, .git and dotfiles (at most 200 files, 5 MB).
A refused deploy prints each problem as file:line:col and exits with 1.`,
    )
    .action(async (path: string, opts, cmd: Command) => {
      const out = ctx.output(cmd);
      const routes = (opts.route as string[]).map(parseRoute);
      const stat = await Deno.stat(path).catch(() => {
        throw new CliError(ExitCode.usage, "usage", `${path}: no such file or folder`);
      });
      const trimmed = path.replace(/\/+$/, "") || path;
      const name: string = opts.name ?? defaultName(trimmed, stat.isDirectory);
      let upload: Upload;
      if (stat.isDirectory) {
        upload = await packDir(trimmed);
        out.progress(
          `packed ${upload.files.length} files (${sizeText(upload.sourceBytes)}, ${
            sizeText(upload.body.length)
          } gzipped)`,
        );
      } else upload = await packFile(trimmed);
      const api = await connect(ctx.io.env);
      const entry = opts.entry ?? (stat.isDirectory ? undefined : rawEntry(trimmed));

      let script = await findScript(api, opts.app, name);
      const created = !script;
      let version: Version;
      try {
        if (!script) {
          // A new script is created with its first version in one call (files as JSON text).
          out.progress(
            `creating script ${name} in app ${opts.app} with ${
              sizeText(upload.sourceBytes)
            }; the server bundles and checks it…`,
          );
          script = await api.json<Script>("POST", adminPath`/scripts`, {
            json: { app_id: opts.app, name, files: upload.texts, entry },
          });
          version = await api.json<Version>(
            "GET",
            adminPath`/scripts/${script.id}/versions/${String(script.active_version ?? 1)}`,
          );
        } else {
          out.progress(
            `uploading ${sizeText(upload.body.length)}; the server bundles and checks it…`,
          );
          version = await api.json<Version>("POST", adminPath`/scripts/${script.id}/versions`, {
            body: upload.body,
            contentType: upload.contentType,
            query: { entry },
          });
        }
      } catch (err) {
        if (err instanceof CliError && REFUSALS.has(err.code)) {
          printDiagnostics(out, err, stat.isDirectory ? trimmed : undefined, trimmed);
        }
        throw err;
      }
      out.progress(
        `deployed ${name} version ${version.version}` +
          (version.bundle_bytes !== null ? ` (bundle ${sizeText(version.bundle_bytes)})` : ""),
      );
      const made = await ensureRoutes(api, out, { app: opts.app, script, routes });
      const hosts = await exactHosts(api, opts.app);
      const serves = made.map((r) => `${r.method} ${r.path}`);
      out.result(
        { ...version, app: opts.app, script: script, created, routes: made, hosts },
        () =>
          [
            `${name} v${version.version} is live in app ${opts.app}`,
            ...serves.map((s) => `  ${s}  on ${hosts.length ? hosts.join(", ") : "(no domain)"}`),
            `  ${api.url}/api/v1/execute/${script!.id}  (direct, with your key)`,
          ].join("\n"),
      );
    });
}

/** `"GET /x"` → method and path; a bare path means any method. */
export function parseRoute(text: string): { method: string; path: string } {
  const m = /^\s*(?:([A-Za-z]+)\s+)?(\/\S*)\s*$/.exec(text);
  if (!m) {
    throw new CliError(ExitCode.usage, "usage", `--route "${text}": use "METHOD /path"`);
  }
  return { method: (m[1] ?? "ANY").toUpperCase(), path: m[2] };
}

function defaultName(path: string, isDir: boolean): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (isDir) return base === "." || base === "" ? Deno.cwd().split("/").pop()! : base;
  return base.replace(/\.[^.]+$/, "");
}

/** A raw JSX/TSX file must be named for the server to compile it as such. */
function rawEntry(path: string): string | undefined {
  return /\.[jt]sx$/i.test(path) ? path.slice(path.lastIndexOf("/") + 1) : undefined;
}

function printDiagnostics(out: Output, err: CliError, dir: string | undefined, file: string) {
  const details = err.details?.details as
    | { diagnostics?: { message: string; file?: string; line?: number; column?: number }[] }
    | undefined;
  for (const d of details?.diagnostics ?? []) {
    // A raw upload is stored as main.ts: name the user's file instead.
    const where = dir ? (d.file ? `${dir}/${d.file}` : dir) : file;
    const pos = d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : "";
    out.progress(`${where}${pos} ${d.message}`);
  }
}

async function ensureRoutes(
  api: ApiClient,
  out: Output,
  opts: { app: string; script: Script; routes: { method: string; path: string }[] },
): Promise<Route[]> {
  if (opts.routes.length === 0) return [];
  const { items } = await api.json<{ items: Route[] }>("GET", adminPath`/routes`, {
    query: { app: opts.app },
  });
  const result: Route[] = [];
  for (const want of opts.routes) {
    const have = items.find((r) =>
      r.method === want.method && r.path === want.path && r.host === null
    );
    if (have && have.script_id !== opts.script.id) {
      throw new CliError(
        ExitCode.failed,
        "route_conflict",
        `${want.method} ${want.path} already routes to another script of app ${opts.app}: ` +
          "remove that route first",
      );
    }
    if (have) result.push(have);
    else {
      result.push(
        await api.json<Route>("POST", adminPath`/routes`, {
          json: { app_id: opts.app, script_id: opts.script.id, ...want },
        }),
      );
      out.progress(`added route ${want.method} ${want.path}`);
    }
  }
  return result;
}

async function exactHosts(api: ApiClient, app: string): Promise<string[]> {
  const { items } = await api.json<{ items: { pattern: string; kind: string }[] }>(
    "GET",
    adminPath`/apps/${app}/domains`,
  );
  return items.map((d) => d.pattern);
}
