import assert from "node:assert/strict";
import { parseLoadError } from "./_diagnostics.ts";
import { get, opts, script, testPool } from "../testing/executor.ts";

// The load time limit of a check: generous, so a loaded machine never turns a refusal into a
// timeout (the timeout itself is tested with its own small limit).
const limits = { timeoutMs: 15_000, memoryLimitMb: 128 };

Deno.test("ExecutorPool.check() - loads the source in the sandbox and reports why it cannot run", async (t) => {
  const pool = testPool();
  try {
    const check = (source: string) => pool.check({ appId: "app-c", source, ...limits });
    await t.step("a fetch handler passes", async () => {
      assert.deepEqual(await check("export default { fetch: () => new Response('ok') };"), []);
    });
    await t.step("a scheduled-only module and a default function pass", async () => {
      assert.deepEqual(await check("export default { scheduled() {} };"), []);
      assert.deepEqual(await check("export default () => new Response('x');"), []);
    });
    await t.step("a syntax error has its line and column", async () => {
      const [d, ...rest] = await check("export default {\n  fetch() {\n    return 1 +;\n  },\n};");
      assert.equal(rest.length, 0);
      assert.match(d.message, /SyntaxError/);
      assert.equal(d.line, 3);
      assert.equal(d.column, 15);
    });
    await t.step(
      "an entry named other than main.ts keeps the position (app.js, site.tsx)",
      async () => {
        for (const entry of ["app.js", "site.tsx"]) {
          const source = "export default {\n  fetch() {\n    return 1 +;\n  },\n};";
          const [d] = await pool.check({ appId: "app-c", source, entry, ...limits });
          assert.match(d.message, /SyntaxError/);
          assert.deepEqual([d.line, d.column], [3, 15], `${entry}: ${JSON.stringify(d)}`);
        }
      },
    );
    await t.step("a module that throws at top level", async () => {
      const [d] = await check("throw new Error('boom at load');\nexport default {};");
      assert.match(d.message, /boom at load/);
      assert.equal(d.line, 1);
    });
    await t.step("no handler", async () => {
      const [d] = await check("export default {};");
      assert.match(d.message, /no fetch or scheduled handler/);
    });
    await t.step("a local file import is refused by the sandbox", async () => {
      const [d] = await check("import x from 'file:///etc/passwd';\nexport default x;");
      assert.ok(d.message.length > 0);
    });
    await t.step(
      "a top-level busy loop times out without touching the app's executor",
      async () => {
        const app = script("app-c", "export default { fetch: () => new Response('live') };");
        assert.equal(await (await pool.fetch(app, get(), opts())).response.text(), "live");
        const started = performance.now();
        const [d] = await pool.check({
          appId: "app-c",
          source: "while (true) {}\nexport default {};",
          timeoutMs: 500,
          memoryLimitMb: 128,
        });
        assert.match(d.message, /longer than 500 ms/);
        assert.ok(performance.now() - started < 3_000);
        assert.equal(await (await pool.fetch(app, get(), opts())).response.text(), "live");
      },
    );
  } finally {
    await pool.close();
  }
});

Deno.test("parseLoadError() - strips colours and the loader prefix", () => {
  const d = parseLoadError(
    "Error: Module failed to load: TypeError: SyntaxError: Expression expected\n  |\n" +
      "    at \x1b[36mblob:null/0f-1\x1b[0m:\x1b[33m7\x1b[0m:\x1b[33m2\x1b[0m",
  );
  assert.deepEqual(d, { message: "SyntaxError: Expression expected", line: 7, column: 2 });
});
