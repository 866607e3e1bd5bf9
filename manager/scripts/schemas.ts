/** @module The zod schemas of the scripts API: what handlers validate and the docs describe. */
import { z } from "zod";

/** Largest script source accepted, in bytes. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

/** A module source. */
export const source = z.string().min(1).max(MAX_SOURCE_BYTES);
/** A script name, unique within its app. */
export const scriptName = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
  "Use letters, digits, . _ -",
);
/** A new script's app, name and description (`POST /scripts`, beside its first version). */
export const scriptMeta = {
  app_id: z.string().min(1).max(200).default("default"),
  name: scriptName,
  description: z.string().max(2000).default(""),
};
/** `POST /scripts` with one source (the console's form; the API also takes files: `upload.ts`). */
export const createScriptSource = z.strictObject({ ...scriptMeta, source });
/** `POST /scripts/{id}/versions`. */
export const createVersion = z.strictObject({ source });
/** `PATCH /scripts/{id}`. */
export const patchScript = z.strictObject({
  name: scriptName.optional(),
  description: z.string().max(2000).optional(),
});
/** `GET /scripts?app=`. */
export const listQuery = z.object({ app: z.string().optional() });
/**
 * A script id in a path: documented as a UUID, but any other text is accepted here and names no
 * script (404 `script_not_found`), as it always has.
 */
export const scriptId = z.string().meta({ format: "uuid" });
/** The `{id}` path parameter. */
export const scriptIdParams = z.object({ id: scriptId });
/** `{id}` and `{n}` of the version endpoints. */
export const versionParams = z.object({
  id: scriptId,
  n: z.coerce.number().int().positive().max(2_147_483_647),
});

/** One reason a source cannot run; 1-based position when known, and the upload's file. */
export const diagnostic = z.object({
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});
/** A script as returned. */
export const scriptSchema = z.object({
  id: z.uuid(),
  app_id: z.uuid(),
  name: z.string(),
  description: z.string(),
  active_version_id: z.uuid().nullable(),
  active_version: z.number().int().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
/** A version as returned (no source unless asked for one). */
export const versionSchema = z.object({
  id: z.uuid(),
  script_id: z.uuid(),
  version: z.number().int(),
  hash: z.string(),
  entry: z.string().describe("The module whose default export runs"),
  packages: z.record(z.string(), z.string()).describe(
    "npm packages the deploy resolved, name → exact version (locked: a rollback fetches nothing)",
  ),
  bundle_bytes: z.number().int().nullable().describe(
    "Size of the bundle that runs; null when the source runs as uploaded",
  ),
  created_by: z.uuid().nullable().optional(),
  active: z.boolean().optional(),
  created_at: z.string(),
});
/** 422 `compile_error`, `bundle_failed` or `dependency_unavailable` with diagnostics. */
export const compileError = z.object({
  error: z.object({
    code: z.enum(["compile_error", "bundle_failed", "dependency_unavailable", "unsupported_api"]),
    message: z.string(),
    details: z.object({
      diagnostics: z.array(diagnostic),
      package: z.string().optional().describe("`dependency_unavailable`: the package"),
      api: z.string().optional().describe("`unsupported_api`: the Workers API refused"),
      limit: z.enum(["time", "memory"]).optional().describe("The bundler's limit that stopped it"),
    }).catchall(z.unknown()),
    request_id: z.string().optional(),
  }),
});
