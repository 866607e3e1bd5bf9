/**
 * @module The one place the harness deploys a script through the admin API. Admin auth is moving
 * from the bootstrap `PICLOUD_ADMIN_TOKEN` to user login: both are here (login first), and a new
 * scheme needs one more `Deployer` in this file and nothing else in bench/.
 */

import { request } from "./_http.ts";

/** A script to deploy and route. */
export interface Deployment {
  name: string;
  source: string;
  method: string;
  path: string;
}

/** Deploys a script and routes it; resolves once the control plane has accepted both. */
export interface Deployer {
  /** Human-readable: how this deployer authenticates. */
  readonly via: string;
  deploy(d: Deployment): Promise<{ scriptId: string }>;
}

/** Credentials the harness hands to the server it starts, so any deployer below can work. */
export interface BenchCredentials {
  /** Bootstrap bearer token (`PICLOUD_ADMIN_TOKEN`, the first release's admin auth). */
  adminToken: string;
  /** First owner (`PICLOUD_BOOTSTRAP_EMAIL` / `_PASSWORD`, the user-login admin auth). */
  email: string;
  password: string;
}

/** Fresh credentials and the environment that configures a server with them. */
export function benchCredentials(): { creds: BenchCredentials; env: Record<string, string> } {
  const creds = {
    adminToken: `bench-${crypto.randomUUID()}`,
    email: "bench@picloud.test",
    password: `pw-${crypto.randomUUID()}`,
  };
  return {
    creds,
    env: {
      PICLOUD_ADMIN_TOKEN: creds.adminToken,
      PICLOUD_BOOTSTRAP_EMAIL: creds.email,
      PICLOUD_BOOTSTRAP_PASSWORD: creds.password,
    },
  };
}

async function post(
  port: number,
  path: string,
  body: unknown,
  bearer?: string,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`POST ${path} → ${res.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text);
}

function bearerDeployer(port: number, via: string, bearer: () => Promise<string>): Deployer {
  return {
    via,
    async deploy(d) {
      const token = await bearer();
      const body = { app_id: "default", name: d.name, source: d.source };
      const script = await post(port, "/api/v1/admin/scripts", body, token);
      const scriptId = String(script.id);
      const route = { app_id: "default", script_id: scriptId, method: d.method, path: d.path };
      await post(port, "/api/v1/admin/routes", route, token);
      return { scriptId };
    },
  };
}

/** Signs in as the bootstrap owner (`POST /api/v1/admin/login`) and deploys with the session token. */
export function loginDeployer(port: number, creds: BenchCredentials): Deployer {
  let token: Promise<string> | undefined;
  return bearerDeployer(
    port,
    "admin API, bootstrap owner login (session bearer)",
    () =>
      token ??= post(port, "/api/v1/admin/login", { email: creds.email, password: creds.password })
        .then((r) => String(r.token)),
  );
}

/** Deploys with `Authorization: Bearer <PICLOUD_ADMIN_TOKEN>` (the first release's admin auth). */
export function adminTokenDeployer(port: number, creds: BenchCredentials): Deployer {
  return bearerDeployer(
    port,
    "admin API, PICLOUD_ADMIN_TOKEN bearer",
    () => Promise.resolve(creds.adminToken),
  );
}

/**
 * The first deployer whose first deploy succeeds, tried in order; throws with every error when
 * none works (the caller then falls back to driving the executor pool directly).
 */
export async function firstWorking(
  candidates: Deployer[],
  probe: Deployment,
): Promise<Deployer> {
  const errors: string[] = [];
  for (const d of candidates) {
    try {
      await d.deploy(probe);
      return d;
    } catch (err) {
      errors.push(`${d.via}: ${err instanceof Error ? err.message : err}`);
    }
  }
  throw new Error(`no deployer worked:\n  ${errors.join("\n  ")}`);
}

/**
 * Requests `path` until it stops answering `404` (route tables reload asynchronously in
 * PostgreSQL mode), at most `timeoutMs`. Returns the first non-404 probe and how many 404s
 * preceded it.
 */
export async function firstResponse(
  port: number,
  opts: { host: string; path: string; timeoutMs?: number },
): Promise<{ status: number; ms: number; misses: number }> {
  const deadline = performance.now() + (opts.timeoutMs ?? 5_000);
  for (let misses = 0; misses < 1_000; misses++) {
    const r = await request(port, { host: opts.host, path: opts.path, timeoutMs: 10_000 });
    if (r.status !== 404 || performance.now() > deadline) {
      return { status: r.status, ms: r.ms, misses };
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`${opts.path} still 404 after 1000 probes`);
}

/**
 * Deploys a new version of `scriptId` (`POST /api/v1/admin/scripts/{id}/versions`) as the
 * bootstrap owner; resolves once the control plane has accepted it (201).
 */
export async function deployVersion(
  port: number,
  creds: BenchCredentials,
  scriptId: string,
  source: string,
): Promise<void> {
  const login = await post(port, "/api/v1/admin/login", {
    email: creds.email,
    password: creds.password,
  });
  await post(port, `/api/v1/admin/scripts/${scriptId}/versions`, { source }, String(login.token));
}
