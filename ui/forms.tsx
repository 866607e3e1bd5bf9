/**
 * @module Form plumbing shared by the console's pages: reading a posted form, validating it with
 * the API's own zod schemas, turning errors into messages next to their fields, and the labelled
 * field component.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ApiError, isCodedError } from "../common/errors.ts";
import { parseInput } from "../manager/validate.ts";

/** Messages by field name; `_` holds those of the form as a whole. */
export type FieldErrors = Record<string, string>;

/** A posted form as plain strings (files ignored; a checkbox is `"on"` when ticked). */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Validates `raw` with `schema` as the API does (text rules included); throws `invalid_request`. */
export function parseForm<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  return parseInput(schema, raw);
}

/**
 * A domain error with a catalogued code (e.g. `invalid_cron` from the cron parser) as the
 * `ApiError` it answers as; an `ApiError` as is; anything else unchanged.
 */
export function asApiError(err: unknown): unknown {
  if (err instanceof ApiError || !isCodedError(err)) return err;
  return new ApiError(err.code, err.message);
}

/** The status a form answers with after `err`: the error's own, else 400. */
export function errorStatus(err: unknown): ContentfulStatusCode {
  const e = asApiError(err);
  return e instanceof ApiError ? e.status : 400;
}

/**
 * The messages of an error for the form that caused it: validation issues go to their fields,
 * a coded error to the field it concerns, anything else to the form (`_`). `fieldOf` maps an
 * error code or a schema field to the form's field. Errors that are not `ApiError` are rethrown.
 */
export function fieldErrors(e: unknown, fieldOf: Record<string, string> = {}): FieldErrors {
  const err = asApiError(e);
  if (!(err instanceof ApiError)) throw err;
  const out: FieldErrors = {};
  const issues = err.code === "invalid_request" ? err.details?.issues : undefined;
  if (Array.isArray(issues) && issues.length > 0) {
    for (const i of issues as { path: string[]; message: string }[]) {
      const key = fieldOf[i.path[0]] ?? i.path[0] ?? "_";
      out[key] ??= i.message;
    }
    return out;
  }
  out[fieldOf[err.code] ?? "_"] = err.message;
  return out;
}

/**
 * A same-site relative path to return to after signing in (`/admin…` only), else `/admin`:
 * never another origin (`//evil`, `/\evil`, `https://…`).
 */
export function safeNext(next: string | undefined | null): string {
  if (!next || !/^\/admin(\/|\?|$)/.test(next) || /[\\\s]/.test(next)) return "/admin";
  return next;
}

/** Props of a labelled input with its error message. */
export interface FieldProps {
  name: string;
  label: string;
  type?: string;
  value?: string;
  error?: string;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  /** Prefix of the element id, when a page has several forms with the same field name. */
  idPrefix?: string;
}

/** A label, its input, an optional hint and the field's error (linked for screen readers). */
export function Field(p: FieldProps) {
  const id = `${p.idPrefix ?? "f"}-${p.name}`;
  const described = [p.hint ? `${id}-hint` : "", p.error ? `${id}-error` : ""].filter(Boolean);
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        value={p.value ?? ""}
        required={p.required}
        autocomplete={p.autocomplete}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={described.length > 0 ? described.join(" ") : undefined}
      />
      {p.hint && <p class="hint" id={`${id}-hint`}>{p.hint}</p>}
      {p.error && <p class="error" id={`${id}-error`}>{p.error}</p>}
    </div>
  );
}

/** The form-level error, if any. */
export function FormError(p: { errors: FieldErrors }) {
  return p.errors._ ? <p class="alert" role="alert">{p.errors._}</p> : null;
}
