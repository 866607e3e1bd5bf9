/**
 * @module What a deploy may carry and how it becomes one `Upload`: a single source (JSON, or the
 * raw file), or several files with an entry point, an import map and a `package.json`-style
 * dependency list (JSON, or a multipart form). File names are checked here, once, for every door.
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { createScriptSource, MAX_SOURCE_BYTES, scriptMeta, source } from "./schemas.ts";

/** A deploy's files, its entry point and the import map the bundler resolves them with. */
export interface Upload {
  files: Record<string, string>;
  entry: string;
  imports?: Record<string, string>;
  /** JSX settings from the upload's `deno.json` (the only compiler options that change a bundle). */
  jsx?: JsxOptions;
}

/** How JSX is compiled: `compilerOptions` keys of a `deno.json`, as Deno reads them. */
export interface JsxOptions {
  jsx?: "react" | "react-jsx" | "react-jsxdev" | "precompile";
  jsxImportSource?: string;
  jsxFactory?: string;
  jsxFragmentFactory?: string;
}

/** Most files in one deploy. */
export const MAX_UPLOAD_FILES = 200;

const SEGMENT = "[A-Za-z0-9_@+-][A-Za-z0-9_.@+-]{0,99}";
/** A relative path of plain segments: no `..`, no hidden files, no absolute paths. */
/** A file's path in an upload. */
export const filePath = z.string().max(300).regex(
  new RegExp(`^(?:${SEGMENT}/){0,15}${SEGMENT}$`),
  "Use a relative path of letters, digits and . _ - @ + (no .., no leading dot or /)",
);
const MODULE_EXT = /\.(?:ts|tsx|mts|js|jsx|mjs|json)$/;
const CONFIG_FILES = new Set(["package.json", "deno.json", "import_map.json"]);

const jsxOptions = z.object({
  jsx: z.enum(["react", "react-jsx", "react-jsxdev", "precompile"]).optional(),
  // A package (through the import map or npm:), never a path: the runtime is imported from it.
  jsxImportSource: z.string().max(200).regex(
    /^(?:npm:)?@?[A-Za-z0-9][\w.@/-]*$/,
    "jsxImportSource must name a package (bare, mapped, or npm:)",
  ).optional(),
  jsxFactory: z.string().max(100).regex(/^[A-Za-z_$][\w$.]*$/).optional(),
  jsxFragmentFactory: z.string().max(100).regex(/^[A-Za-z_$][\w$.]*$/).optional(),
});

const packageName = z.string().regex(
  /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]{0,213}$/,
  "Not an npm package name",
);
const versionRange = z.string().max(100).regex(
  /^[A-Za-z0-9.^~<>=|*+ -]+$/,
  "Use an npm version or range (git, file and URL dependencies cannot be bundled)",
);
const importTarget = z.string().max(500).regex(
  /^(?:npm:|node:|jsr:|https:\/\/|\.\/|\.\.\/)/,
  "Map to npm:, jsr:, node:, https: or a relative path of the upload",
);

/** The files form of a deploy body (also how `POST /scripts` creates a script from files). */
export const filesBody = {
  files: z.record(filePath, z.string().max(MAX_SOURCE_BYTES)).describe(
    "The upload's files by relative path; package.json and deno.json / import_map.json " +
      "among them contribute their dependencies and imports",
  ),
  entry: filePath.optional().describe(
    "The module whose default export is the script (default: the only module, or main.ts, " +
      "index.ts, mod.ts, main.js, index.js)",
  ),
  imports: z.record(z.string().min(1).max(200), importTarget).optional().describe(
    "An import map: bare specifier → npm:, jsr:, node:, https: or a file of the upload",
  ),
  dependencies: z.record(packageName, versionRange).optional().describe(
    "package.json-style dependencies: name → version range, imported by bare name",
  ),
};

/** The JSON deploy body: `{ source }`, or files with an entry, imports and dependencies. */
export const deployBody = z.union([
  z.strictObject({ source }),
  z.strictObject(filesBody),
]);

/**
 * `POST /scripts`: the script's app, name and description with its first version, as one source or
 * as files (bundled like any deploy).
 */
export const createScriptBody = z.union([
  createScriptSource,
  z.strictObject({ ...scriptMeta, ...filesBody }),
]);

/** A parsed `POST /scripts` body. */
export type CreateScriptInput = z.output<typeof createScriptBody>;

/** `POST /scripts/{id}/versions?entry=`. */
export const deployQuery = z.object({
  entry: filePath.optional().describe(
    "The entry's path: of an archive or form upload without one, or the name of a raw file " +
      "(e.g. `app.tsx`, whose extension decides how it is read)",
  ),
});

/** The parsed JSON deploy body. */
export type DeployBody = z.output<typeof deployBody>;

const ENTRY_NAMES = ["main.ts", "index.ts", "mod.ts", "main.tsx", "main.js", "index.js", "mod.js"];

/** Turns a deploy body into an `Upload`; a refused part is a 400 `invalid_upload` naming it. */
export function uploadOf(body: DeployBody): Upload {
  if ("source" in body) return { files: { "main.ts": body.source }, entry: "main.ts" };
  const files: Record<string, string> = {};
  let total = 0;
  const config: Config = { imports: {}, dependencies: { ...body.dependencies } };
  const { imports, dependencies } = config;
  for (const [path, text] of Object.entries(body.files)) {
    total += text.length;
    if (CONFIG_FILES.has(path)) {
      readConfig(path, text, config);
      continue;
    }
    if (!MODULE_EXT.test(path)) {
      throw invalid(`${path}: only .ts .tsx .mts .js .jsx .mjs and .json files can be deployed`);
    }
    files[path] = text;
  }
  const count = Object.keys(files).length;
  if (count === 0) throw invalid("The upload has no module");
  if (count > MAX_UPLOAD_FILES) throw invalid(`At most ${MAX_UPLOAD_FILES} files per deploy`);
  if (total > MAX_SOURCE_BYTES) {
    throw invalid(`The upload is larger than ${MAX_SOURCE_BYTES} bytes in total`);
  }
  for (const [name, range] of Object.entries(dependencies)) {
    const spec = range === "latest" || range === "*" ? `npm:${name}` : `npm:${name}@${range}`;
    imports[name] ??= spec;
    imports[`${name}/`] ??= `${spec.replace(/^npm:/, "npm:/")}/`;
  }
  Object.assign(imports, body.imports);
  const entry = body.entry ?? defaultEntry(Object.keys(files));
  if (!(entry in files)) throw invalid(`The entry ${entry} is not one of the upload's files`);
  if (entry.endsWith(".json")) throw invalid("The entry must be a module, not JSON");
  return { files, entry, imports, ...(config.jsx ? { jsx: config.jsx } : {}) };
}

function defaultEntry(paths: string[]): string {
  const modules = paths.filter((p) => !p.endsWith(".json"));
  if (modules.length === 1) return modules[0];
  const found = ENTRY_NAMES.find((name) => modules.includes(name));
  if (!found) {
    throw invalid(`Name the entry: none of ${ENTRY_NAMES.join(", ")} is among the files`);
  }
  return found;
}

/** What the config files of an upload contribute. */
interface Config {
  imports: Record<string, string>;
  dependencies: Record<string, string>;
  jsx?: JsxOptions;
}

/**
 * `package.json` gives dependencies; `deno.json` and `import_map.json` give imports, and
 * `deno.json` its JSX settings (other compiler options do not change a bundle and are ignored).
 */
function readConfig(path: string, text: string, config: Config): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(`${path} is not valid JSON`);
  }
  if (path === "package.json") {
    const deps = z.record(packageName, versionRange).safeParse(
      (json as { dependencies?: unknown })?.dependencies ?? {},
    );
    if (!deps.success) throw invalid(`${path}: ${deps.error.issues[0].message}`);
    Object.assign(config.dependencies, deps.data);
    return;
  }
  if (path === "deno.json") {
    const options = (json as { compilerOptions?: Record<string, unknown> })?.compilerOptions ?? {};
    const jsx = jsxOptions.safeParse({
      jsx: options.jsx,
      jsxImportSource: options.jsxImportSource,
      jsxFactory: options.jsxFactory,
      jsxFragmentFactory: options.jsxFragmentFactory,
    });
    if (!jsx.success) throw invalid(`${path}: ${jsx.error.issues[0].message}`);
    const set = Object.entries(jsx.data).filter(([, v]) => v !== undefined);
    if (set.length > 0) config.jsx = Object.fromEntries(set) as JsxOptions;
  }
  const map = z.record(z.string().min(1).max(200), importTarget).safeParse(
    (json as { imports?: unknown })?.imports ?? {},
  );
  if (!map.success) throw invalid(`${path}: ${map.error.issues[0].message}`);
  Object.assign(config.imports, map.data);
}

function invalid(message: string): ApiError {
  return new ApiError("invalid_upload", message);
}
