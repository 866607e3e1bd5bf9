/**
 * @module The authorization matrix's fixtures: every endpoint with the standing it needs, every
 * kind of caller, and the status each caller must get.
 */
import assert from "node:assert/strict";
import { ACTIONS } from "./authz.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import type { TestPlatform } from "./testing.ts";

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
  | "instance_admin";

/** The standing a declared action needs, read from the action table (never written by hand). */
export function needsOf(action: EndpointDoc["action"]): Needs {
  if (action === "public" || action === "setup_token") {
    throw new Error(`${action} endpoints are not in the matrix`);
  }
  if (action === "api_key.manage") return "session";
  const rule = ACTIONS[action];
  if (rule.scope === "self") return "self";
  if (rule.scope === "instance") return "instance_admin";
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

async function freshUser(ctx: Ctx) {
  return await ctx.t.createUser(ctx.owner, { email: `u${ctx.n()}@example.com` });
}

/** Every authenticated endpoint of the control plane. */
export const ENDPOINTS: Endpoint[] = [
  { name: "GET me", ok: 200, make: () => get(`${admin}/me`) },
  { name: "GET apps", ok: 200, make: () => get(`${admin}/apps`) },
  { name: "GET app", ok: 200, make: () => get(`${admin}/apps/app-a`) },
  {
    name: "GET members",
    ok: 200,
    make: () => get(`${admin}/apps/app-a/members`),
  },
  {
    name: "POST member",
    ok: 201,
    make: async (ctx) => ({
      method: "POST",
      path: `${admin}/apps/app-a/members`,
      body: { user_id: await freshUser(ctx), role: "viewer" },
    }),
  },
  {
    name: "PATCH member",
    ok: 200,
    make: async (ctx) => ({
      method: "PATCH",
      path: `${admin}/apps/app-a/members/${await freshMember(ctx)}`,
      body: { role: "editor" },
    }),
  },
  {
    name: "DELETE member",
    ok: 204,
    make: async (ctx) => ({
      method: "DELETE",
      path: `${admin}/apps/app-a/members/${await freshMember(ctx)}`,
    }),
  },
  {
    name: "GET scripts",
    ok: 200,
    make: () => get(`${admin}/scripts?app=app-a`),
  },
  {
    name: "POST script",
    ok: 201,
    make: (ctx) =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/scripts`,
        body: {
          app_id: "app-a",
          name: `s${ctx.n()}`,
          source: "export default { fetch: () => new Response() }",
        },
      }),
  },
  {
    name: "GET script",
    ok: 200,
    make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}`),
  },
  {
    name: "POST version",
    ok: 201,
    make: (ctx) =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/scripts/${ctx.scriptA}/versions`,
        body: { source: "export default { fetch: () => new Response('ok') };" },
      }),
  },
  ...scriptEndpoints(),
  {
    name: "GET routes",
    ok: 200,
    make: () => get(`${admin}/routes?app=app-a`),
  },
  {
    name: "POST route",
    ok: 201,
    make: (ctx) => Promise.resolve({ method: "POST", path: `${admin}/routes`, body: route(ctx) }),
  },
  {
    name: "DELETE route",
    ok: 204,
    make: async (ctx) => {
      const r = await ctx.t.call("POST", `${admin}/routes`, { token: ctx.owner, body: route(ctx) });
      return { method: "DELETE", path: `${admin}/routes/${r.body.id}` };
    },
  },
  {
    name: "PATCH route",
    ok: 200,
    make: async (ctx) => {
      const r = await ctx.t.call("POST", `${admin}/routes`, { token: ctx.owner, body: route(ctx) });
      assert.equal(r.status, 201);
      return {
        method: "PATCH",
        path: `${admin}/routes/${r.body.id}`,
        body: { path: `/p/${ctx.n()}` },
      };
    },
  },
  {
    name: "GET route preview",
    ok: 200,
    make: async (ctx) => {
      await previewFixture(ctx);
      return get(`${admin}/apps/app-a/routes:preview?url=https://preview.example.test/pv`);
    },
  },
  {
    name: "POST app",
    ok: 201,
    make: (ctx) =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/apps`,
        body: { slug: `new-${ctx.n()}`, name: "New" },
      }),
  },
  {
    name: "PATCH app",
    ok: 200,
    make: () =>
      Promise.resolve({ method: "PATCH", path: `${admin}/apps/app-a`, body: { name: "A" } }),
  },
  {
    name: "POST app slug:check",
    ok: 200,
    make: () =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/apps/app-a/slug:check`,
        body: { slug: "free-slug" },
      }),
  },
  {
    name: "DELETE app",
    ok: 204,
    make: async (ctx) => ({ method: "DELETE", path: `${admin}/apps/${await appLikeA(ctx)}` }),
  },
  {
    name: "GET domains",
    ok: 200,
    make: () => get(`${admin}/apps/app-a/domains`),
  },
  {
    name: "POST domain",
    ok: 201,
    make: (ctx) =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/apps/app-a/domains`,
        body: { pattern: `d${ctx.n()}.example.test` },
      }),
  },
  {
    name: "DELETE domain",
    ok: 204,
    make: async (ctx) => {
      const r = await ctx.t.call("POST", `${admin}/apps/app-a/domains`, {
        token: ctx.owner,
        body: { pattern: `del${ctx.n()}.example.test` },
      });
      assert.equal(r.status, 201);
      return { method: "DELETE", path: `${admin}/apps/app-a/domains/${r.body.id}` };
    },
  },
  {
    name: "ANY execute",
    ok: 200,
    make: (ctx) => get(`/api/v1/execute/${ctx.scriptA}`),
  },
  ...["GET", "POST", "PUT", "PATCH", "DELETE"].flatMap((method) => [
    ...(method === "GET" ? [] : [{
      name: `${method} execute`,
      ok: 200,
      make: (ctx: Ctx) =>
        Promise.resolve({ method, path: `/api/v1/execute/${ctx.scriptA}`, body: {} }),
    }]),
    {
      name: `${method} execute with a path`,
      ok: 200,
      make: (ctx: Ctx) =>
        Promise.resolve({
          method,
          path: `/api/v1/execute/${ctx.scriptA}/a/b`,
          body: method === "GET" ? undefined : {},
        }),
    },
  ]),
  {
    name: "POST logout",
    ok: 204,
    except: {
      key_other_app: { status: 400, why: "an API key has no session to end (`not_a_session`)" },
    },
    make: async (ctx, me) => ({
      method: "POST",
      path: `${admin}/logout`,
      // Its own fresh session: ending the caller's shared one would sign it out of the matrix.
      token: me.session && me.token ? await ctx.relogin(me.token) : me.token,
    }),
  },
  {
    name: "GET audit of app",
    ok: 200,

    make: () => get(`${admin}/audit?app=app-a`),
  },
  { name: "GET audit", ok: 200, action: "audit.read", make: () => get(`${admin}/audit`) },
  { name: "GET users", ok: 200, make: () => get(`${admin}/users`) },
  {
    name: "POST user",
    ok: 201,
    make: (ctx) =>
      Promise.resolve({
        method: "POST",
        path: `${admin}/users`,
        body: {
          email: `new${ctx.n()}@example.com`,
          password: "new-password-1",
          instance_role: "member",
        },
      }),
  },
  {
    name: "GET user",
    ok: 200,
    make: (ctx) => get(`${admin}/users/${ctx.bystander}`),
  },
  {
    name: "PATCH user",
    ok: 200,
    make: async (ctx) => ({
      method: "PATCH",
      path: `${admin}/users/${await freshUser(ctx)}`,
      body: { display_name: "Renamed" },
    }),
  },
  {
    name: "DELETE user",
    ok: 204,
    make: async (ctx) => ({ method: "DELETE", path: `${admin}/users/${await freshUser(ctx)}` }),
  },
  { name: "GET api-keys", ok: 200, make: () => get(`${admin}/api-keys`) },
  {
    name: "POST api-key",
    ok: 201,
    make: () => Promise.resolve({ method: "POST", path: `${admin}/api-keys`, body: { name: "k" } }),
  },
  {
    name: "DELETE api-key",
    ok: 204,
    make: async (ctx, me) => {
      const token = me.session ? me.token : ctx.owner;
      const r = await ctx.t.call("POST", `${admin}/api-keys`, { token, body: { name: "del" } });
      assert.equal(r.status, 201);
      return { method: "DELETE", path: `${admin}/api-keys/${r.body.id}` };
    },
  },
];

function get(path: string) {
  return Promise.resolve({ method: "GET", path });
}

function route(ctx: Ctx) {
  return { app_id: "app-a", script_id: ctx.scriptA, method: "GET", path: `/m/${ctx.n()}` };
}

/** A new app whose members and roles are app A's, so each caller stands in it as in app A. */
async function appLikeA(ctx: Ctx) {
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
async function previewFixture(ctx: Ctx) {
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

async function freshMember(ctx: Ctx) {
  const id = await freshUser(ctx);
  const r = await ctx.t.call("POST", `${admin}/apps/app-a/members`, {
    token: ctx.owner,
    body: { user_id: id, role: "viewer" },
  });
  assert.equal(r.status, 201);
  return id;
}

async function freshScript(ctx: Ctx) {
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

async function freshSchedule(ctx: Ctx) {
  const r = await ctx.t.call("POST", `${admin}/schedules`, {
    token: ctx.owner,
    body: { app_id: "app-a", script_id: ctx.scriptA, cron: "0 0 1 1 *" },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

/** Scripts (versions, env, policy), schedules and logs. */
function scriptEndpoints(): Endpoint[] {
  return [
    {
      name: "PATCH script",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PATCH",
          path: `${admin}/scripts/${ctx.scriptA}`,
          body: { description: `d${ctx.n()}` },
        }),
    },
    {
      name: "DELETE script",
      ok: 204,
      make: async (ctx) => ({
        method: "DELETE",
        path: `${admin}/scripts/${await freshScript(ctx)}`,
      }),
    },
    {
      name: "GET versions",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/versions`),
    },
    {
      name: "GET version",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/versions/1`),
    },
    {
      name: "POST version:activate",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "POST",
          path: `${admin}/scripts/${ctx.scriptA}/versions/1:activate`,
        }),
    },
    {
      name: "GET env",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/env`),
    },
    {
      name: "PUT env",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PUT",
          path: `${admin}/scripts/${ctx.scriptA}/env`,
          body: { vars: { [`V${ctx.n()}`]: "x" } },
        }),
    },
    {
      name: "GET policy",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/policy`),
    },
    {
      name: "PUT policy",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PUT",
          path: `${admin}/scripts/${ctx.scriptA}/policy`,
          body: { maxConcurrency: 8 },
        }),
    },
    {
      name: "GET schedules",
      ok: 200,
      make: () => get(`${admin}/schedules?app=app-a`),
    },
    {
      name: "POST schedule",
      ok: 201,
      make: (ctx) =>
        Promise.resolve({
          method: "POST",
          path: `${admin}/schedules`,
          body: { app_id: "app-a", script_id: ctx.scriptA, cron: "0 0 1 1 *" },
        }),
    },
    {
      name: "GET schedule",
      ok: 200,
      make: async (ctx) => get(`${admin}/schedules/${await freshSchedule(ctx)}`),
    },
    {
      name: "PATCH schedule",
      ok: 200,
      make: async (ctx) => ({
        method: "PATCH",
        path: `${admin}/schedules/${await freshSchedule(ctx)}`,
        body: { enabled: false },
      }),
    },
    {
      name: "DELETE schedule",
      ok: 204,
      make: async (ctx) => ({
        method: "DELETE",
        path: `${admin}/schedules/${await freshSchedule(ctx)}`,
      }),
    },
    {
      name: "GET schedule runs",
      ok: 200,
      make: async (ctx) => get(`${admin}/schedules/${await freshSchedule(ctx)}/runs`),
    },
    {
      name: "GET logs",
      ok: 200,
      make: () => get(`${admin}/apps/app-a/logs?limit=5`),
    },
  ];
}
