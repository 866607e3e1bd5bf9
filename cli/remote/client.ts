/**
 * @module The CLI's API client: one server URL and bearer key; the API's JSON errors
 * (`{error:{code,message,details}}`) become `CliError`s carrying the API's code and an exit code.
 */

import { CliError } from "../io.ts";
import { ExitCode, exitCodeFor } from "../exit_codes.ts";

/** One request: a JSON body, or a raw one with its content type. */
export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

/** Talks to one PiCloud server's admin API. */
export class ApiClient {
  constructor(readonly url: string, readonly apiKey?: string) {}

  /** The answer to `method path`; any non-2xx answer is thrown as a `CliError`. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const target = new URL(`${this.url}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) target.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.contentType) headers["content-type"] = opts.contentType;
    let res: Response;
    try {
      res = await fetch(target, { method, headers, body, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new CliError(
        ExitCode.unavailable,
        "unavailable",
        `Cannot reach ${this.url}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (!res.ok) throw await errorOf(res, `${method} ${target.pathname}`);
    return res;
  }

  /** The JSON answer to `method path` (null for a 204). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    if (res.status === 204) return null as T;
    return await res.json() as T;
  }
}

async function errorOf(res: Response, what: string): Promise<CliError> {
  const text = await res.text();
  let error: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    error = JSON.parse(text)?.error;
  } catch { /* not the API's JSON: a proxy's page, say */ }
  const code = typeof error?.code === "string" ? error.code : `http_${res.status}`;
  const message = typeof error?.message === "string"
    ? error.message
    : `${what} answered ${res.status} ${res.statusText}`.trim();
  const details = error?.details && typeof error.details === "object"
    ? { details: error.details as Record<string, unknown>, status: res.status }
    : { status: res.status };
  return new CliError(exitCodeFor(code, res.status), code, message, details);
}

/** A client for the logged-in server (`PICLOUD_URL` / `PICLOUD_API_KEY`, or `picloud login`). */
export async function connect(env: Record<string, string | undefined>): Promise<ApiClient> {
  const { resolveCredentials } = await import("./config.ts");
  const creds = await resolveCredentials(env);
  return new ApiClient(creds.url, creds.apiKey);
}

/** `/api/v1/admin` + `path`, with each parameter escaped. */
export function adminPath(strings: TemplateStringsArray, ...params: (string | number)[]): string {
  return "/api/v1/admin" +
    strings.reduce(
      (acc, s, i) => acc + s + (i < params.length ? encodeURIComponent(params[i]) : ""),
      "",
    );
}
