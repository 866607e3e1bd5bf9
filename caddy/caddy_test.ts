/**
 * @module Caddy in front of PiCloud, for real: Debian's `caddy` runs the shared Caddyfile with its
 * internal CA (`local_certs`) on high loopback ports, and curl checks what a TLS client sees — a
 * claimed host gets a certificate and its app, an unclaimed host gets no certificate, the console
 * host gets HTTPS and the console.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { CADDY, isFile, startCaddy } from "../testing/caddy.ts";

const CURL = "/usr/bin/curl";
const CONSOLE_HOST = "console.picloud.test";
const SHOP_HOST = "shop.picloud.test";
const A = "/api/v1/admin";

/** curl over HTTPS to `host` at 127.0.0.1:`port`, trusting only `caCert`: exit code and output. */
async function curl(host: string, port: number, path: string, caCert: string) {
  const r = await new Deno.Command(CURL, {
    args: [
      "-sS",
      "--max-time",
      "5",
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      "--cacert",
      caCert,
      "-w",
      "\n%{http_code}",
      `https://${host}:${port}${path}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  const nl = out.lastIndexOf("\n");
  return {
    code: r.code,
    status: Number(out.slice(nl + 1)),
    body: out.slice(0, Math.max(nl, 0)),
    err: new TextDecoder().decode(r.stderr).trim(),
  };
}

// Caddy is a Debian package; CI installs it. Elsewhere the test is skipped, and its name says so.
const skip = !(isFile(CADDY) && isFile(CURL)) && !Deno.env.get("CI");

Deno.test({
  name: `caddy - on-demand TLS for claimed hosts only, HTTPS console, with Debian's caddy${
    skip ? " (SKIPPED: no /usr/bin/caddy or curl, CI unset)" : ""
  }`,
  ignore: skip,
  fn: async (t) => {
    const testStart = performance.now();
    await withTestPlatform(async (tp) => {
      console.log(`platform ready in ${Math.round(performance.now() - testStart)} ms`);
      // The console answers only to its host: set up through it directly (no HTTP yet).
      const api = async (path: string, body: unknown, token?: string) => {
        const res = await tp.p.console.request(`http://${CONSOLE_HOST}${A}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        const json = await res.json();
        assert.ok(res.status === 200 || res.status === 201, `${path}: ${JSON.stringify(json)}`);
        return json;
      };
      const { token } = await api("/login", OWNER);
      await api("/apps", { slug: "shop", name: "Shop" }, token);
      await api("/apps/shop/domains", { pattern: SHOP_HOST }, token);
      const source = `export default {
        fetch(req) {
          return new Response("shop says hi via " + req.headers.get("x-forwarded-proto"));
        },
      };`;
      const script = await api("/scripts", { app_id: "shop", name: "front", source }, token);
      await api(
        "/routes",
        { app_id: "shop", script_id: script.id, method: "GET", path: "/" },
        token,
      );

      // PiCloud's two listeners on loopback, as `serve` runs them.
      const ac = new AbortController();
      const listen = (
        fetch: (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>,
      ) => Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, fetch);
      const consoleServer = listen((req, info) => tp.p.console.fetch(req, info));
      const tenantServer = listen((req, info) => tp.p.tenantFetch(req, info));

      const dir = await Deno.makeTempDir({ prefix: "picloud-caddy-" });
      const caddyStart = performance.now();
      const caddy = await startCaddy(
        await Deno.readTextFile(new URL("./Caddyfile", import.meta.url)),
        {
          dir,
          env: {
            PICLOUD_CONSOLE_HOST: CONSOLE_HOST,
            PICLOUD_UPSTREAM: `127.0.0.1:${tenantServer.addr.port}`,
            PICLOUD_CONSOLE_UPSTREAM: `127.0.0.1:${consoleServer.addr.port}`,
          },
        },
      );
      const { caCert, httpsPort } = caddy;
      try {
        // Ready once the console host answers over TLS (bounded: 10 s).
        let ready = false;
        for (let i = 0; i < 100 && !ready; i++) {
          ready = (await curl(CONSOLE_HOST, httpsPort, "/healthz", caCert)).code === 0;
          if (!ready) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(ready, "Caddy did not come up in 10 s");
        console.log(`caddy ready in ${Math.round(performance.now() - caddyStart)} ms`);

        const steps: boolean[] = [];
        steps.push(
          await t.step("a claimed host gets a certificate and its app's response", async () => {
            const r = await curl(SHOP_HOST, httpsPort, "/", caCert);
            assert.equal(r.code, 0, r.err);
            assert.equal(r.status, 200, r.body);
            assert.equal(r.body, "shop says hi via https");
          }),
        );
        steps.push(
          await t.step("an unclaimed host's TLS handshake fails (no certificate)", async () => {
            const r = await curl("nobody.picloud.test", httpsPort, "/", caCert);
            // 35: SSL connect error (Caddy ends the handshake with an alert).
            assert.equal(r.code, 35, `${r.code} ${r.err} ${r.body}`);
          }),
        );
        steps.push(
          await t.step("the console host gets HTTPS, the console and the API", async () => {
            const health = await curl(CONSOLE_HOST, httpsPort, "/healthz", caCert);
            assert.equal(health.status, 200, health.body);
            const api = await curl(CONSOLE_HOST, httpsPort, `${A}/apps`, caCert);
            assert.equal(api.status, 401, api.body);
            assert.equal(JSON.parse(api.body).error.code, "unauthorized");
            // Caddy's own ask endpoint is not reachable from outside.
            const ask = await curl(
              CONSOLE_HOST,
              httpsPort,
              `/api/v1/internal/tls-ask?domain=${SHOP_HOST}`,
              caCert,
            );
            assert.equal(ask.status, 404, ask.body);
          }),
        );
        // A failed step does not throw: fail here, so Caddy's log is printed below.
        assert.ok(steps.every(Boolean), "a step failed");
      } catch (err) {
        await caddy.stop();
        console.error(await caddy.log());
        throw err;
      } finally {
        await caddy.stop();
        ac.abort();
        await Promise.all([consoleServer.finished, tenantServer.finished]);
        await Deno.remove(dir, { recursive: true });
      }
    }, { PICLOUD_CONSOLE_HOSTS: CONSOLE_HOST, PICLOUD_TRUSTED_PROXIES: "127.0.0.1" });
  },
});
