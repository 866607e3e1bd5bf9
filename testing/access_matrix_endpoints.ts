/**
 * @module The authorization matrix's table: every authenticated endpoint of the control plane as a
 * request builder with its success status (the standing it needs comes from its declaration).
 */
import assert from "node:assert/strict";
import {
  admin,
  appLikeA,
  type Ctx,
  type Endpoint,
  freshMember,
  freshUser,
  get,
  previewFixture,
  route,
} from "./access_matrix.ts";
import { scriptEndpoints } from "./access_matrix_scripts.ts";

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
  { name: "GET system", ok: 200, make: () => get(`${admin}/system`) },
  // PostgreSQL answers the owner with 409 backup_unsupported (pg_dump is its backup).
  {
    name: "GET backup",
    ok: Deno.env.get("DATABASE_URL") ? 409 : 200,
    make: () => get(`${admin}/backup`),
  },
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
