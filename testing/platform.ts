/**
 * @module Test helpers for the control plane: a platform with a bootstrapped owner, a request
 * helper that records every response for the secret-leak checks, and sign-in shortcuts.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import { denoCacheDir } from "./packages.ts";
import { openTestDatabase } from "./db.ts";
import { createPlatform, type Platform } from "../server.ts";
import { errorSchema, responsesOf } from "../manager/openapi.ts";
import type { EndpointDoc } from "../manager/openapi_types.ts";
import type { Principal } from "../manager/authz.ts";

/** The bootstrap owner of every test platform. */
export const OWNER = { email: "owner@example.com", password: "owner-password-1" };

/** A platform under test with everything it said. */
export interface TestPlatform {
  p: Platform;
  /** Log lines written so far. */
  lines: string[];
  /** Every response (status, headers and body) received through `call`. */
  responses: string[];
  /**
   * Answers of `call` that differ from their endpoint's declaration (an undeclared status, a
   * body off its schema); `withTestPlatform` fails the test when any is left at the end.
   */
  nonConforming: string[];
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** Signs in and returns the session token. */
  login(email: string, password: string): Promise<string>;
  /** Creates a user as `token` and returns its id. */
  createUser(
    token: string,
    u: { email: string; password?: string; role?: string },
  ): Promise<string>;
}

/** Options of one request. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A body sent as it is (a file, a form), instead of `body` as JSON. */
  raw?: BodyInit;
  headers?: Record<string, string>;
}

/**
 * A JSON response body as tests read it: the fields the API returns, typed as present (a missing
 * one fails the assertion that reads it).
 */
export interface Body {
  [k: string]: unknown;
  id: string;
  token: string;
  key: string;
  email: string;
  slug: string;
  name: string;
  prefix: string;
  action: string;
  role: string;
  my_role: string | null;
  instance_role: string;
  user_id: string;
  app_id: string | null;
  actor_user_id: string | null;
  active: boolean;
  version: number;
  expires_at: string;
  last_used_at: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  user: Body;
  items: Body[];
  memberships: Body[];
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** A response, read. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Body;
}

/** The bootstrap owner as a principal, for calling a service directly (no HTTP). */
export async function ownerPrincipal(t: TestPlatform): Promise<Principal> {
  const [{ id }] = await t.p.db.sql<{ id: string }[]>`
    select id from admin_users where email = ${OWNER.email}`;
  return { kind: "session", userId: id, instanceRole: "owner", appRoles: {} };
}

/** Runs `fn` against a fresh platform whose owner is bootstrapped from the environment. */
export async function withTestPlatform(
  fn: (t: TestPlatform) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const db = await openTestDatabase();
  const lines: string[] = [];
  const responses: string[] = [];
  const nonConforming: string[] = [];
  const config = parseConfig({
    PICLOUD_BOOTSTRAP_EMAIL: OWNER.email,
    PICLOUD_BOOTSTRAP_PASSWORD: OWNER.password,
    PICLOUD_ARGON2_MEMORY_KIB: "1024",
    PICLOUD_ARGON2_ITERATIONS: "1",
    PICLOUD_TIMEOUT_MS: "5000",
    PICLOUD_LOG_FLUSH_MS: "20",
    PICLOUD_PACKAGE_CACHE_DIR: denoCacheDir(),
    // A spare executor per test platform is a process start each test pays for and none needs
    // (the spare has its own tests: executor/spare_test.ts).
    PICLOUD_SPARE_EXECUTOR: "false",
    ...env,
  });
  const p = await createPlatform(config, { db, log: createLogger("debug", (l) => lines.push(l)) });
  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const res = await p.console.request(`http://localhost${path}`, {
      method,
      headers,
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    responses.push(`${method} ${path} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    let body = { text } as unknown as Body;
    let json: unknown = undefined;
    try {
      body = json = JSON.parse(text);
    } catch { /* not JSON: kept as { text } */ }
    const decl = declarationOf(p.endpoints(), { method, path });
    if (decl) {
      for (const w of nonConformance(decl, res.status, json)) {
        nonConforming.push(`${method} ${path}: ${w}`);
      }
    }
    return { status: res.status, headers: res.headers, body };
  };
  const t: TestPlatform = {
    p,
    lines,
    responses,
    nonConforming,
    call,
    async login(email, password) {
      const r = await call("POST", "/api/v1/admin/login", { body: { email, password } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.token;
    },
    async createUser(token, u) {
      const r = await call("POST", "/api/v1/admin/users", {
        token,
        body: {
          email: u.email,
          password: u.password ?? "member-password-1",
          instance_role: u.role ?? "member",
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    },
  };
  try {
    await fn(t);
    // Every answer a test saw is one the API declares (status and body shape).
    assert.deepEqual(nonConforming, [], "answers that differ from their declaration");
  } catch (err) {
    console.error(lines.join("\n"));
    // The last answers the test saw, so a failed status in a CI log comes with its body.
    console.error(responses.slice(-6).map((r) => r.slice(0, 600)).join("\n"));
    throw err;
  } finally {
    await p.close();
    await db.close();
  }
}

/** The declaration a concrete request hits (query ignored), or undefined. */
export function declarationOf(
  docs: EndpointDoc[],
  req: { method: string; path: string },
): EndpointDoc | undefined {
  const path = req.path.split("?")[0];
  return docs.find((d) =>
    d.method === req.method.toLowerCase() &&
    new RegExp(
      "^" + d.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        // A trailing `{path}` is the rest of the path (the execute endpoints), slashes included.
        .replace(/\{path\}$/, ".+").replace(/\{[^}]+\}/g, "[^/]+") +
        "$",
    ).test(path)
  );
}

/** How a real answer differs from its declaration: an undeclared status or a body off its schema. */
export function nonConformance(decl: EndpointDoc, status: number, body: unknown): string[] {
  const responses = responsesOf(decl);
  if (!responses[status]) {
    return [`${status} is not declared (declared: ${Object.keys(responses).join(", ")})`];
  }
  const schema = responses[status].schema ?? (status >= 400 ? errorSchema : undefined);
  if (!schema || body === undefined) return [];
  const parsed = schema.safeParse(body);
  return parsed.success
    ? []
    : [`${status} body off its schema: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`];
}
