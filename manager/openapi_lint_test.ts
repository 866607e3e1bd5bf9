import assert from "node:assert/strict";
import { withTestPlatform } from "../testing/platform.ts";

/** The linter third-party users run on the document (its version pinned in deno.json). */
const REDOCLY = "npm:@redocly/cli@2.77.0";

interface Problem {
  ruleId: string;
  severity: "error" | "warn";
  message: string;
  location: { pointer: string }[];
}

Deno.test("openapi - @redocly/cli lint finds no error, and no warning but the absent license", async () => {
  await withTestPlatform(async (t) => {
    const res = await t.call("GET", "/api/v1/openapi.json");
    assert.equal(res.status, 200);
    const dir = await Deno.makeTempDir({ prefix: "picloud-openapi-" });
    try {
      const file = `${dir}/openapi.json`;
      await Deno.writeTextFile(file, JSON.stringify(res.body));
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", REDOCLY, "lint", file, "--format=json"],
        cwd: new URL("..", import.meta.url).pathname,
        env: { NO_COLOR: "1", REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      const report = JSON.parse(text.slice(text.indexOf("{"))) as {
        totals: { errors: number; warnings: number };
        problems: Problem[];
      };
      const shown = (p: Problem) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}`;
      const errors = report.problems.filter((p) => p.severity === "error").map(shown);
      assert.deepEqual(errors, [], new TextDecoder().decode(out.stderr));
      assert.equal(report.totals.errors, 0);
      // The project has no license to name yet; every other recommended rule holds.
      const warnings = report.problems.filter((p) => p.ruleId !== "info-license").map(shown);
      assert.deepEqual(warnings, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
