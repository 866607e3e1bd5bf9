/**
 * @module The authorization matrix's rules and fixtures: every kind of caller, the standing a
 * declared action needs, the status each caller must get, and the builders of fresh resources
 * the endpoint requests (`access_matrix_endpoints.ts`) use.
 */
import assert from "node:assert/strict";
import { ACTIONS } from "../manager/authz.ts";
import type { EndpointDoc } from "../manager/openapi_types.ts";
import type { TestPlatform } from "./platform.ts";

/** The callers every endpoint is tried with. */
export const WHO = [
  "anonymous",
  "viewer",
  "editor",
  "app_admin",
  "instance_admin",
  "owner",
  "key_other_app",
  "expired_key",
  "deactivated",
] as const;
export type Who = typeof WHO[number];

/** Minimum standing an endpoint needs. */
export type Needs =
  | "self"
  | "session"
  | "app_viewer"
  | "app_editor"
  | "app_admin"
  | "instance_admin"
  | "instance_owner";

/** The standing a declared action needs, read from the action table (never written by hand). */
export function needsOf(action: EndpointDoc["action"]): Needs {
  if (action === "public" || action === "setup_token") {
    throw new Error(`${action} endpoints are not in the matrix`);
  }
  if (action === "api_key.manage") return "session";
  const rule = ACTIONS[action];
  if (rule.scope === "self") return "self";
  if (rule.scope === "instance") return rule.min === "owner" ? "instance_owner" : "instance_admin";
  return `app_${rule.min}`;
}

/** The status each caller must get from an endpoint needing `needs` that answers `ok`. */
export function expected(needs: Needs, who: Who, ok: number): number {
  if (who === "anonymous" || who === "expired_key" || who === "deactivated") return 401;
  const appRank: Partial<Record<Who, number>> = { viewer: 0, editor: 1, app_admin: 2 };
  switch (needs) {
    case "self":
      return ok;
    case "session":
      return who === "key_other_app" ? 403 : ok;
    case "instance_admin":
      return who === "instance_admin" || who === "owner" ? ok : 403;
    case "instance_owner":
      return who === "owner" ? ok : 403;
    default: {
      if (who === "key_other_app") return 404;
      if (who === "instance_admin" || who === "owner") return ok;
      const min = { app_viewer: 0, app_editor: 1, app_admin: 2 }[needs];
      return appRank[who]! >= min ? ok : 403;
    }
  }
}

/** What endpoint builders share: the platform, the owner's token, app A and its script. */
export interface Ctx {
  t: TestPlatform;
  owner: string;
  appA: string;
  scriptA: string;
  bystander: string;
  n: () => number;
  /** A fresh session of the user a session token belongs to (for endpoints that end one). */
  relogin: (token: string) => Promise<string>;
}

/** One endpoint of the matrix. */
export interface Endpoint {
  name: string;
  /** The success status (the standing it needs comes from the endpoint's declared action). */
  ok: number;
  /**
   * The action this request exercises when its declaration checks more than one depending on
   * the input (it must be among the declaration's `actions`).
   */
  action?: EndpointDoc["action"];
  /** Callers whose answer the input decides rather than their standing, with the reason. */
  except?: Partial<Record<Who, { status: number; why: string }>>;
  /** Builds the request, preparing fresh resources with the owner's token when needed. */
  make(ctx: Ctx, me: { token?: string; session: boolean }): Promise<
    { method: string; path: string; body?: unknown; token?: string }
  >;
}

/** The admin API prefix. */
export const admin = "/api/v1/admin";

/** A new user (member) of the instance. */
export async function freshUser(ctx: Ctx) {
  return await ctx.t.createUser(ctx.owner, { email: `u${ctx.n()}@example.com` });
}

/** Helper of the endpoint table. */
export function get(path: string) {
  return Promise.resolve({ method: "GET", path });
}

/** Helper of the endpoint table. */
export function route(ctx: Ctx) {
  return { app_id: "app-a", script_id: ctx.scriptA, method: "GET", path: `/m/${ctx.n()}` };
}

/** A new app whose members and roles are app A's, so each caller stands in it as in app A. */
export async function appLikeA(ctx: Ctx) {
  const r = await ctx.t.call("POST", `${admin}/apps`, {
    token: ctx.owner,
    body: { slug: `like-a-${ctx.n()}`, name: "Like A" },
  });
  assert.equal(r.status, 201);
  await ctx.t.p.db.sql`
    insert into app_members (app_id, user_id, role)
    select ${r.body.id}, user_id, role from app_members where app_id = ${ctx.appA}`;
  return r.body.slug;
}

/** App A claims `preview.example.test` and routes `GET /pv` (idempotent: 409s are fine). */
export async function previewFixture(ctx: Ctx) {
  const claim = await ctx.t.call("POST", `${admin}/apps/app-a/domains`, {
    token: ctx.owner,
    body: { pattern: "preview.example.test" },
  });
  assert.ok(claim.status === 201 || claim.status === 409);
  const r = await ctx.t.call("POST", `${admin}/routes`, {
    token: ctx.owner,
    body: { app_id: "app-a", script_id: ctx.scriptA, method: "GET", path: "/pv" },
  });
  assert.ok(r.status === 201 || r.status === 409);
}

export async function freshMember(ctx: Ctx) {
  const id = await freshUser(ctx);
  const r = await ctx.t.call("POST", `${admin}/apps/app-a/members`, {
    token: ctx.owner,
    body: { user_id: id, role: "viewer" },
  });
  assert.equal(r.status, 201);
  return id;
}

export async function freshScript(ctx: Ctx) {
  const r = await ctx.t.call("POST", `${admin}/scripts`, {
    token: ctx.owner,
    body: {
      app_id: "app-a",
      name: `fresh${ctx.n()}`,
      source: "export default { fetch: () => new Response('ok'), scheduled() {} };",
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

export async function freshSchedule(ctx: Ctx) {
  const r = await ctx.t.call("POST", `${admin}/schedules`, {
    token: ctx.owner,
    body: { app_id: "app-a", script_id: ctx.scriptA, cron: "0 0 1 1 *" },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}
