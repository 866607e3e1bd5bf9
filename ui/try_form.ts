/**
 * @module The "try it" form of a script: its zod schema (method, path, `Name: value` header
 * lines, body), the request it builds, and the bounded read of the response the page shows.
 */
import { z } from "zod";

/** The methods the form offers. */
export const TRY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

/** Bytes of a response body the page shows; the rest is counted, not kept. */
export const TRY_SHOWN_BODY_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_HEADERS = 50;

/** Whether `s` holds a control character a header value may not (tab is allowed). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** The `Name: value` lines of the headers field as pairs (blank lines skipped). */
function headerLines(text: string, ctx: z.RefinementCtx): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).trim();
    const value = colon < 0 ? "" : line.slice(colon + 1).trim();
    if (!TOKEN.test(name)) {
      ctx.addIssue({ code: "custom", message: `Line ${i + 1}: use Name: value` });
      return out;
    }
    if (hasControl(value)) {
      ctx.addIssue({ code: "custom", message: `Line ${i + 1}: the value has a control character` });
      return out;
    }
    out.push([name, value]);
  }
  if (out.length > MAX_HEADERS) {
    ctx.addIssue({ code: "custom", message: `At most ${MAX_HEADERS} headers` });
  }
  return out;
}

/** The posted form, validated: headers as pairs, the body only where the method takes one. */
export const tryForm = z.object({
  method: z.enum(TRY_METHODS, "Choose a method"),
  path: z.string().trim().max(2048, "At most 2048 characters")
    .regex(/^\/[^\s#]*$/, "Start with / (no spaces, no #)"),
  headers: z.string().max(16 * 1024, "At most 16 KiB of headers").transform(headerLines),
  body: z.string(),
}).superRefine((f, ctx) => {
  if ((f.method === "GET" || f.method === "HEAD") && f.body !== "") {
    ctx.addIssue({ code: "custom", path: ["body"], message: `A ${f.method} request has no body` });
  }
});

/** A validated "try it" form. */
export type TryForm = z.infer<typeof tryForm>;

/**
 * The request the script gets: the same URL as `ANY /api/v1/execute/{id}{path}` on this origin,
 * the form's headers and body.
 */
export function tryRequest(origin: string, scriptId: string, f: TryForm): Request {
  const url = new URL(`/api/v1/execute/${scriptId}${f.path}`, origin);
  const headers = new Headers();
  for (const [k, v] of f.headers) headers.append(k, v);
  const body = f.method === "GET" || f.method === "HEAD" ? undefined : f.body;
  return new Request(url, { method: f.method, headers, body });
}

/** A response body as the page shows it. */
export type ShownBody =
  | { kind: "empty" }
  | { kind: "text"; text: string; bytes: number; truncated: boolean }
  | { kind: "binary"; bytes: number; type: string };

/** The response as read: status, headers and the first `TRY_SHOWN_BODY_BYTES` of its body. */
export interface ShownResponse {
  status: number;
  headers: [string, string][];
  body: ShownBody;
  /** The response as JSON when it is the platform's error shape (`{ error: { code } }`). */
  errorCode: string | null;
}

const TEXT_TYPE =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded))/i;

/**
 * Reads the whole body (the script's response limit bounds it), keeping the first
 * `TRY_SHOWN_BODY_BYTES`: reading to the end lets the invocation complete as delivered.
 */
export async function readShown(res: Response): Promise<ShownResponse> {
  const kept = new Uint8Array(TRY_SHOWN_BODY_BYTES);
  let keptBytes = 0;
  let bytes = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      const room = TRY_SHOWN_BODY_BYTES - keptBytes;
      if (room > 0) {
        const part = chunk.subarray(0, room);
        kept.set(part, keptBytes);
        keptBytes += part.length;
      }
      bytes += chunk.length;
    }
  }
  const type = res.headers.get("content-type") ?? "";
  const head = kept.subarray(0, keptBytes);
  let body: ShownBody = { kind: "empty" };
  if (bytes > 0) {
    const text = textOf(head, type);
    body = text === null
      ? { kind: "binary", bytes, type: type || "unknown type" }
      : { kind: "text", text, bytes, truncated: bytes > keptBytes };
  }
  return {
    status: res.status,
    headers: [...res.headers],
    body,
    errorCode: errorCodeOf(res.status, type, body),
  };
}

function textOf(head: Uint8Array, type: string): string | null {
  if (type !== "" && !TEXT_TYPE.test(type)) return null;
  try {
    // `stream: true` lets a character cut at the 64 KiB edge wait instead of failing.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return text.includes("\0") ? null : text;
  } catch {
    return null;
  }
}

function errorCodeOf(status: number, type: string, body: ShownBody): string | null {
  if (status < 400 || !type.startsWith("application/json") || body.kind !== "text") return null;
  try {
    const code = JSON.parse(body.text)?.error?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}
