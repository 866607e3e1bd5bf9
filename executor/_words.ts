/**
 * @module Failures in PiCloud's words: rewrites the runtime's wording (permission denials that
 * name command-line flags, imports resolved at run time, globals a Workers script expects) into
 * what the script's author can do, and maps stack frames to the version's entry file name. Pure
 * text functions, idempotent, used by the loader Worker's error path and by the deploy check.
 */

/** The entry name frames are reported under when a version names none. */
export const DEFAULT_ENTRY = "main.ts";

/** Workers globals PiCloud does not provide, with what to do instead. */
export const MISSING_GLOBALS: Readonly<Record<string, string>> = {
  HTMLRewriter: "rewrite the HTML as text, or bundle an HTML parser from npm with the deploy",
  WebSocketPair: "WebSocket upgrades are not supported; use HTTP requests or server-sent events",
  __STATIC_CONTENT: "Workers Sites assets are not supported; embed small files in the script",
  __STATIC_CONTENT_MANIFEST:
    "Workers Sites assets are not supported; embed small files in the script",
};

/** A Workers API found in a source that PiCloud refuses at deploy (`422 unsupported_api`). */
export interface UnsupportedApi {
  api: string;
  /** What the user can do instead. */
  instead: string;
  line: number;
  column: number;
}

const CF_MODULE = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](cloudflare:[\w/-]+)["']/g;
const CF_MODULES: Readonly<Record<string, string>> = {
  "cloudflare:sockets":
    "raw TCP sockets (connect) are not supported; use fetch to a host in the allowedHosts policy",
  "cloudflare:workers": "export default { fetch(request, env, ctx) } and read vars from env, " +
    "the handler's second argument (WorkerEntrypoint, Durable Objects and RPC are not supported)",
};
// Uses, not mentions: a library's feature test (`typeof HTMLRewriter`) deploys fine.
const GLOBAL_USE =
  /\bnew\s+(HTMLRewriter|WebSocketPair)\s*\(|\b(__STATIC_CONTENT(?:_MANIFEST)?)\b/g;

/**
 * The Workers APIs a source uses that PiCloud does not provide: `cloudflare:*` modules,
 * `new HTMLRewriter()`, `new WebSocketPair()`, Workers Sites' `__STATIC_CONTENT`. A scan of the
 * text (a bundle included); each API is named once, at its first use.
 */
export function unsupportedApis(source: string): UnsupportedApi[] {
  const found = new Map<string, UnsupportedApi>();
  const at = (index: number) => {
    const before = source.slice(0, index).split("\n");
    return { line: before.length, column: before[before.length - 1].length + 1 };
  };
  for (const m of source.matchAll(CF_MODULE)) {
    const api = m[1];
    const instead = CF_MODULES[api] ?? `${api} is a Cloudflare module PiCloud does not provide`;
    if (!found.has(api)) found.set(api, { api, instead, ...at(m.index + m[0].indexOf(api) - 1) });
  }
  for (const m of source.matchAll(GLOBAL_USE)) {
    const api = m[1] ?? m[2];
    if (!found.has(api)) found.set(api, { api, instead: MISSING_GLOBALS[api], ...at(m.index) });
  }
  return [...found.values()];
}

/** The message of an unsupported API, for the deploy's `422 unsupported_api`. */
export function unsupportedMessage(u: Pick<UnsupportedApi, "api" | "instead">): string {
  return `${u.api} is not supported by PiCloud: ${u.instead}`;
}

// A blob: URL as the loader mints them (scripts cannot mint any): `blob:<origin>/<uuid>`.
const BLOB_URL = /blob:(?:null|https?:\/\/[^\s/)]+)\/[0-9a-fA-F-]{36}/g;
const FRAME = /^\s+at /;
const HEAD =
  /^(?:Uncaught )?(?:\(in promise\) )?(\w*(?:Error|NotCapable|NotFound|PermissionDenied))?:? ?/;
const POLICY = "is not in this script's allowedHosts policy (add it under Policy)";

/** What the rewriting may use besides the error text. */
export interface WordsContext {
  /** The version's entry file name (frames in the user's module are shown under it). */
  entry?: string;
  /** The module source, to name a specifier the runtime's message leaves out. */
  source?: string;
}

/**
 * Rewrites an error text (first line `Name: message`, then `    at …` frames) into PiCloud's
 * words: the message says what the user can do (the error class name is kept), frames in the
 * user's module name the entry file, platform frames are dropped. Anything not recognised is kept
 * as the user wrote it. Applying it twice changes nothing.
 */
export function inWords(text: string, ctx: WordsContext = {}): string {
  const entry = ctx.entry ?? DEFAULT_ENTRY;
  const lines = text.split("\n");
  const frameAt = lines.findIndex((l) => FRAME.test(l));
  const head = (frameAt < 0 ? lines : lines.slice(0, frameAt)).join("\n");
  const frames = frameAt < 0 ? [] : lines.slice(frameAt);
  const position = firstPosition(text);
  const message = rewriteMessage(head, {
    fetch: frames.some((f) => f.includes("ext:deno_fetch")),
    specifier: ctx.source && position ? specifierAt(ctx.source, position) : undefined,
  });
  const kept = frames.map((f) => f.replace(BLOB_URL, entry))
    .filter((f) => f.includes(`(${entry}:`) || f.includes(`at ${entry}:`));
  return [message.replace(BLOB_URL, entry), ...kept].join("\n");
}

/** The first `line:column` in the user's module (a blob: URL) named by an error text. */
export function firstPosition(text: string): { line: number; column: number } | undefined {
  const at = /blob:[^\s)]*?:(\d+):(\d+)/.exec(text);
  return at ? { line: Number(at[1]), column: Number(at[2]) } : undefined;
}

function rewriteMessage(head: string, hint: { fetch: boolean; specifier?: string }): string {
  const m = HEAD.exec(head);
  const name = m?.[1] ?? "";
  const rest = head.slice(m?.[0].length ?? 0);
  const say = (cls: string, words: string) => `${cls}: ${words}`;
  let x: RegExpExecArray | null;
  if ((x = /Requires net access to "([^"]+)", run again with the --allow-net flag/.exec(rest))) {
    const target = x[1].replace(/:(443|80)$/, "");
    if (/^(0\.0\.0\.0|\[::\]|::)(:\d+)?$/.test(x[1]) || /^[^:]*:0$/.test(x[1])) {
      return say(
        "NotCapable",
        "scripts cannot listen for connections: answer requests from the fetch handler",
      );
    }
    return say("NotCapable", `${hint.fetch ? "fetch" : "a connection"} to ${target} ${POLICY}`);
  }
  if ((x = /JSR package manifest for '([^']+)' failed to load/.exec(rest))) {
    return say(name || "TypeError", runTimeImport(`jsr:${x[1]}`));
  }
  if (
    (x = /Requires import access to "([^"]+)", run again with the --allow-import flag/.exec(rest))
  ) {
    const what = hint.specifier ?? `code from ${x[1].replace(/:(443|80)$/, "")}`;
    return say(name || "TypeError", runTimeImport(what));
  }
  if (/npm specifiers were requested; but --no-npm is specified/.test(rest)) {
    return say(name || "TypeError", runTimeImport(hint.specifier ?? "an npm: package"));
  }
  if ((x = /^Import "([^"]+)" not a dependency/.exec(rest))) {
    return say(name || "TypeError", runTimeImport(`"${x[1]}"`));
  }
  if (/relative URL with a cannot-be-a-base base/.test(rest)) {
    const what = hint.specifier ? `"${hint.specifier}"` : "a relative module";
    return say(
      name || "TypeError",
      `${what} is imported at run time: send the file with the deploy (a multi-file upload) ` +
        "and import it statically so it is bundled at deploy",
    );
  }
  if (
    (x = /Requires (read|write) access to "([^"]*)", run again with the --allow-\w+ flag/.exec(
      rest,
    ))
  ) {
    return say(
      "NotCapable",
      `scripts cannot ${x[1]} files ("${x[2]}"): keep data in the script, its vars or ` +
        "secrets, or fetch it from an allowed host",
    );
  }
  if ((x = /Requires env access to "([^"]*)", run again with the --allow-env flag/.exec(rest))) {
    return say(
      "NotCapable",
      `the process environment is not available to scripts ("${x[1]}"): a script's ` +
        `environment is its vars and secrets (env.${x[1]}, Deno.env.get("${x[1]}"), ` +
        `process.env.${x[1]})`,
    );
  }
  if (/Requires run access|^Failed to spawn '/.test(rest)) {
    const cmd = /(?:to|spawn) ['"]([^'"]+)['"]/.exec(rest)?.[1];
    return say("NotCapable", `scripts cannot start subprocesses${cmd ? ` ("${cmd}")` : ""}`);
  }
  if ((x = /Requires ffi access to "([^"]*)"/.exec(rest))) {
    return say("NotCapable", `scripts cannot load native libraries (FFI, "${x[1]}")`);
  }
  if ((x = /Requires sys access to "([^"]*)"/.exec(rest))) {
    return say("NotCapable", `scripts cannot read system information ("${x[1]}")`);
  }
  if ((x = /^(\w+) is not defined$/.exec(rest)) && MISSING_GLOBALS[x[1]]) {
    return say(name, `${x[1]} is not provided by PiCloud: ${MISSING_GLOBALS[x[1]]}`);
  }
  return head;
}

function runTimeImport(what: string): string {
  return `${what} is imported at run time: import it statically in the deployed files ` +
    "(packages are bundled at deploy; scripts load no code at run time)";
}

/** The specifier a source's import at `line:column` names, when one is there. */
function specifierAt(source: string, at: { line: number; column: number }): string | undefined {
  const line = source.split("\n")[at.line - 1] ?? "";
  const from = line.slice(Math.max(0, at.column - 1));
  return /["']([^"']+)["']/.exec(from)?.[1] ?? /["']([^"']+)["']/.exec(line)?.[1];
}
