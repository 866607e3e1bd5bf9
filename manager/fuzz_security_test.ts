/**
 * @module Fuzz test of the control plane: walks the OpenAPI document to enumerate every endpoint,
 * its path and query parameters and its JSON body fields, sends adversarial values as an owner
 * (so authorization passes and validation is reached), and asserts no 5xx and one error shape.
 */
import assert from "node:assert/strict";
import type { OpenApiDocument, OpenApiOperation } from "./openapi.ts";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";

const A = "/api/v1/admin";

/** Adversarial values for string positions (JSON bodies). */
const STRINGS: unknown[] = [
  "a\u0000b",
  "\u0000",
  "\ud800",
  "x\udfffy",
  "x".repeat(100_000),
  "0000-01-01T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "+275760-09-13T00:00:01Z",
  "9999-99-99",
  "2024-01-01T00:00:00+99:99",
  "2024-02-31T00:00:00Z",
  "not-a-uuid",
  "00000000-0000-0000-0000-000000000000",
  "%00",
  "../",
  "../../etc/passwd",
  "\u202egnp.exe",
  "😀🚀",
  "\u0001\u0007\u001b[31m",
  "line\nbreak\r",
  "",
  " ",
  "null",
  12345,
  -1,
  1e308,
  true,
  null,
  [],
  {},
  ["a\u0000"],
  { a: "\u0000" },
];

/** Adversarial values for path and query parameters: [label, already-encoded text]. */
const URL_VALUES: string[] = [
  "%00",
  "a%00b",
  "%ED%A0%80",
  "%FF",
  "%",
  "%E2%80%AE",
  "..",
  "..%2F..%2Fetc",
  "0000-01-01T00:00:00Z",
  "9999-99-99",
  "2024-01-01T00%3A00%3A00%2B99%3A99",
  "not-a-uuid",
  "00000000-0000-0000-0000-000000000000",
  "-1",
  "99999999999999999999",
  "%F0%9F%98%80",
  "%01%1B",
  "x".repeat(10_000),
  "",
];

/** Whole-body variants: [label, body, content type]. */
const RAW_BODIES: [string, BodyInit | undefined, string | undefined][] = [
  ["empty body", "", "application/json"],
  ["no body", undefined, undefined],
  ["null", "null", "application/json"],
  ["number", "42", "application/json"],
  ["string", '"x"', "application/json"],
  ["array", "[1,2]", "application/json"],
  ["nested arrays", "[".repeat(20_000) + "]".repeat(20_000), "application/json"],
  ["nested objects", '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000), "application/json"],
  ["truncated", '{"a":', "application/json"],
  ["wrong content type", "a=1&b=2", "application/x-www-form-urlencoded"],
  ["text", "hello", "text/plain"],
  ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), "application/json"],
  ["BOM", "\ufeff{}", "application/json"],
  ["lone surrogate escape", '{"name":"\\ud800"}', "application/json"],
  ["NUL escape key", '{"\\u0000":1}', "application/json"],
];

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

interface Fixtures {
  token: string;
  values: Record<string, string>;
}

/** Valid ids and names the fuzzer puts in every position it is not attacking. */
async function makeFixtures(t: TestPlatform): Promise<Fixtures> {
  const token = await t.login(OWNER.email, OWNER.password);
  const ok = (r: { status: number; body: unknown }, what: string) => {
    assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as Json;
  };
  const app = ok(
    await t.call("POST", `${A}/apps`, { token, body: { slug: "fz", name: "Fuzz" } }),
    "app",
  );
  const script = ok(
    await t.call("POST", `${A}/scripts`, {
      token,
      body: {
        app_id: "fz",
        name: "fz",
        source: "export default { fetch() { return new Response('ok'); } };",
      },
    }),
    "script",
  );
  const route = ok(
    await t.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "fz", script_id: script.id, method: "GET", path: "/fz" },
    }),
    "route",
  );
  const schedule = ok(
    await t.call("POST", `${A}/schedules`, {
      token,
      body: { app_id: "fz", script_id: script.id, cron: "0 0 1 1 *", enabled: false },
    }),
    "schedule",
  );
  const domain = ok(
    await t.call("POST", `${A}/apps/fz/domains`, { token, body: { pattern: "fz.example.test" } }),
    "domain",
  );
  const userId = await t.createUser(token, { email: "member@example.com" });
  ok(
    await t.call("POST", `${A}/apps/fz/members`, {
      token,
      body: { user_id: userId, role: "viewer" },
    }),
    "member",
  );
  const key = ok(await t.call("POST", `${A}/api-keys`, { token, body: { name: "fz" } }), "key");
  return {
    token,
    values: {
      id_or_slug: "fz",
      app: "fz",
      app_id: app.id as string,
      script_id: script.id as string,
      route_id: route.id as string,
      schedule_id: schedule.id as string,
      domain_id: domain.id as string,
      user_id: userId,
      key_id: key.id as string,
      n: "1",
      path: "sub",
    },
  };
}

/** The valid value of path parameter `name` of `path`. */
function pathValue(path: string, name: string, f: Fixtures): string {
  if (name !== "id") return f.values[name] ?? "x";
  if (path.includes("/scripts/")) return f.values.script_id;
  if (path.includes("/routes/")) return f.values.route_id;
  if (path.includes("/schedules/")) return f.values.schedule_id;
  if (path.includes("/domains/")) return f.values.domain_id;
  if (path.includes("/users/")) return f.values.user_id;
  if (path.includes("/api-keys/")) return f.values.key_id;
  return "x";
}

/** A plausible valid value for a body field, so the other fields reach their own checks. */
function baseValue(name: string, schema: Json, f: Fixtures, n: number): unknown {
  if (schema.enum) return (schema.enum as unknown[])[0];
  if (schema.type === "boolean") return false;
  if (schema.type === "integer" || schema.type === "number") return 1;
  if (schema.type === "object") return {};
  if (schema.type === "array") return [];
  const values: Record<string, unknown> = {
    slug: `fz-${n}`,
    name: `fz-${n}`,
    app_id: "fz",
    script_id: f.values.script_id,
    user_id: f.values.user_id,
    email: `fz${n}@example.com`,
    password: "fuzz-password-1",
    source: "export default { fetch() { return new Response('ok'); } };",
    cron: "0 0 1 1 *",
    timezone: "UTC",
    pattern: `fz${n}.example.test`,
    method: "GET",
    path: `/fz/${n}`,
    host: null,
    role: "viewer",
    token: "x",
    description: "d",
    display_name: "d",
  };
  return name in values ? values[name] : "x";
}

/** Resolves `$ref` and the nullable `anyOf` of an OpenAPI schema. */
function resolve(doc: OpenApiDocument, schema: Json): Json {
  if (typeof schema.$ref === "string") {
    return resolve(doc, doc.components.schemas[schema.$ref.split("/").pop()!]);
  }
  if (Array.isArray(schema.anyOf)) {
    const nonNull = (schema.anyOf as Json[]).find((s) => s.type !== "null");
    if (nonNull) return resolve(doc, nonNull);
  }
  return schema;
}

/** One request to send. */
interface Probe {
  label: string;
  method: string;
  url: string;
  body?: BodyInit;
  contentType?: string;
  /** Headers replacing the owner's credentials (header fuzzing). */
  headers?: Record<string, string>;
}

/** Odd header values (Latin-1 and controls are all a header may carry besides ASCII). */
const HEADER_SETS: Record<string, string>[] = [
  { authorization: "Bearer \u00ff\u00fe" },
  { authorization: "Bearer pc_\u0001_x" },
  { authorization: "Bearer pc_" + "x".repeat(5_000) },
  { authorization: "Basic %00" },
  { authorization: "Bearer " + "a".repeat(20_000) },
  { cookie: "picloud_session=%00; x=\u00ff" },
  { cookie: "picloud_session=" + "z".repeat(8_000) },
  { "content-type": "application/json; charset=\u00ff" },
  { "content-type": "multipart/form-data; boundary=" },
  { origin: "http://[::1", cookie: "picloud_session=x" },
  { "x-forwarded-for": "\u00ff, 999.1.1.1", "x-real-ip": "::::" },
  { host: "\u00ff" },
];

/** Every probe of one operation. */
function probesOf(
  doc: OpenApiDocument,
  path: string,
  method: string,
  op: OpenApiOperation,
  f: Fixtures,
): Probe[] {
  const probes: Probe[] = [];
  const pathParams = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
  const queryParams = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
  const urlWith = (over: Record<string, string> = {}, query = "") =>
    path.replace(
      /\{([^}]+)\}/g,
      (_, name: string) => over[name] ?? encodeURIComponent(pathValue(path, name, f)),
    ) + query;
  const schema = op.requestBody
    ? resolve(doc, op.requestBody.content["application/json"].schema)
    : null;
  const props = (schema?.properties ?? {}) as Record<string, Json>;
  let n = 0;
  const baseBody = (): Json => {
    n++;
    const body: Json = {};
    for (const name of (schema?.required ?? []) as string[]) {
      body[name] = baseValue(name, resolve(doc, props[name]), f, n);
    }
    return body;
  };
  const json = (body: unknown) => ({ body: JSON.stringify(body), contentType: "application/json" });
  const valid = schema ? json(baseBody()) : {};
  const M = method.toUpperCase();
  // Destructive calls only ever get invalid path parameters below, never the fixtures' ids.
  for (const name of pathParams) {
    for (const v of URL_VALUES) {
      probes.push({
        label: `path ${name}=${v.slice(0, 40)}`,
        method: M,
        url: urlWith({ [name]: v }),
        ...valid,
      });
    }
  }
  for (const name of queryParams) {
    for (const v of URL_VALUES) {
      probes.push({
        label: `query ${name}=${v.slice(0, 40)}`,
        method: M,
        url: urlWith({}, `?${name}=${v}`),
      });
    }
    probes.push({
      label: `query ${name} twice`,
      method: M,
      url: urlWith({}, `?${name}=a&${name}=b`),
    });
  }
  if (M === "GET" || M === "DELETE") {
    probes.push({ label: "unknown query", method: M, url: urlWith({}, "?zz=%00&%00=1") });
  }
  for (const headers of HEADER_SETS) {
    probes.push({
      label: `headers ${JSON.stringify(headers).slice(0, 60)}`,
      method: M,
      url: urlWith(),
      headers,
      ...valid,
    });
  }
  if (!schema) return probes;
  for (const [name, raw] of Object.entries(props)) {
    const field = resolve(doc, raw);
    for (const v of STRINGS) {
      const body = baseBody();
      body[name] = v;
      probes.push({
        label: `body ${name}=${JSON.stringify(v)?.slice(0, 40)}`,
        method: M,
        url: urlWith(),
        ...json(body),
      });
    }
    if (field.type === "object") {
      // Records (env vars, secrets): attack the keys and the values.
      for (const v of STRINGS.filter((s) => typeof s === "string")) {
        const body = baseBody();
        body[name] = { [v as string]: "v", OK_NAME: v };
        probes.push({
          label: `body ${name}.{key,value}=${JSON.stringify(v).slice(0, 40)}`,
          method: M,
          url: urlWith(),
          ...json(body),
        });
      }
    }
    if (field.type === "array") {
      for (const v of STRINGS.filter((s) => typeof s === "string")) {
        const body = baseBody();
        body[name] = [v];
        probes.push({
          label: `body ${name}[0]=${JSON.stringify(v).slice(0, 40)}`,
          method: M,
          url: urlWith(),
          ...json(body),
        });
      }
    }
  }
  for (const [label, body, contentType] of RAW_BODIES) {
    probes.push({ label: `raw ${label}`, method: M, url: urlWith(), body, contentType });
  }
  return probes;
}

/** Paths the fuzzer leaves alone: signing out would end the fuzzer's own session. */
const SKIP = new Set(["POST /api/v1/admin/logout"]);

Deno.test("break 12 - no input to any control-plane endpoint gets a 5xx; every error has a code", async () => {
  await withTestPlatform(async (t) => {
    const f = await makeFixtures(t);
    const docRes = await t.call("GET", "/api/v1/openapi.json");
    assert.equal(docRes.status, 200);
    const doc = docRes.body as unknown as OpenApiDocument;
    const probes: Probe[] = [];
    let endpoints = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (SKIP.has(`${method.toUpperCase()} ${path}`) || !op) continue;
        endpoints++;
        probes.push(...probesOf(doc, path, method, op, f));
      }
    }
    assert.ok(endpoints >= 50, `only ${endpoints} endpoints in the document`);
    // Bounded and deterministic: a seeded sample when the full set is larger than the budget.
    const BUDGET = 3000;
    const random = prng(12);
    const chosen = probes.length <= BUDGET
      ? probes
      : probes.map((p) => ({ p, k: random() })).sort((a, b) => a.k - b.k).slice(0, BUDGET)
        .map((x) => x.p);
    const failures: string[] = [];
    let token = f.token;
    for (const probe of chosen) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (probe.contentType) headers["content-type"] = probe.contentType;
      Object.assign(headers, probe.headers);
      let res: Response;
      try {
        res = await t.p.console.request(`http://localhost${probe.url}`, {
          method: probe.method,
          headers,
          body: probe.body,
        });
      } catch (err) {
        failures.push(`${probe.method} ${probe.url.slice(0, 120)} [${probe.label}] threw ${err}`);
        continue;
      }
      const text = await res.text();
      if (res.status >= 500) {
        failures.push(
          `${probe.method} ${probe.url.slice(0, 120)} [${probe.label}] ${res.status} ${
            text.slice(0, 200)
          }`,
        );
      } else if (res.status >= 400) {
        let code: unknown;
        try {
          code = JSON.parse(text).error?.code;
        } catch { /* not JSON */ }
        if (typeof code !== "string") {
          failures.push(
            `${probe.method} ${
              probe.url.slice(0, 120)
            } [${probe.label}] ${res.status} without a code: ${text.slice(0, 200)}`,
          );
        }
      }
      if (res.status === 401) token = await t.login(OWNER.email, OWNER.password);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${chosen.length} probes failed`);
  }, { PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR: "1000000", PICLOUD_LOGIN_MAX_FAILURES: "10000" });
});
