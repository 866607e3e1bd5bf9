/** @module Deploy-time bundling with the real `deno bundle`, offline: packages from the cache. */
import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { testBundler } from "../../testing/packages.ts";
import {
  bundle,
  bundlerStats,
  compactMap,
  importedSpecifiers,
  needsBundle,
  parseBundlerErrors,
} from "./bundle.ts";
import { uploadOf } from "./upload.ts";

const HONO_APP = `import { Hono } from "hono";
import { z } from "zod";
import { greet } from "./lib/greet.ts";
const app = new Hono();
app.get("/hi/:name", (c) => c.text(greet(z.string().min(2).parse(c.req.param("name")))));
export default app;
`;

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

/** Runs the bundle in a Worker-free way: as a data: module in this process (test only). */
async function runBundle(code: string, url: string): Promise<Response> {
  const mod = await import(
    `data:text/javascript;base64,${btoa(unescape(encodeURIComponent(code)))}`
  );
  return await mod.default.fetch(new Request(url), {}, {});
}

Deno.test("needsBundle: a self-contained file runs as it is; imports of packages or files bundle", () => {
  const one = (source: string) => uploadOf({ source });
  assert.equal(needsBundle(one(`export default { fetch: () => new Response("x") };`)), false);
  assert.equal(needsBundle(one(`import { Buffer } from "node:buffer";\nexport default 1;`)), false);
  assert.equal(needsBundle(one(`import { Hono } from "npm:hono";\nexport default 1;`)), true);
  assert.equal(needsBundle(one(`export { default } from "./app.ts";`)), true);
  assert.equal(needsBundle(one(`const m = await import("./lazy.ts");`)), true);
  assert.deepEqual(
    importedSpecifiers(`import a from "a";import {b} from 'b';export * from "c";import "d";`),
    ["a", "b", "c", "d"],
  );
});

Deno.test("a multi-file Hono app with dependencies bundles from the cache, offline", async () => {
  const upload = uploadOf({
    files: {
      "main.ts": HONO_APP,
      "lib/greet.ts": "export const greet = (n: string): string => `hello ${n}`;\n",
      "package.json": JSON.stringify({ dependencies: { hono: "4.13.19", zod: "4.6.7" } }),
    },
  });
  assert.equal(upload.entry, "main.ts");
  assert.equal(needsBundle(upload), true);
  const out = await bundle(upload, testBundler({ offline: true }));
  assert.deepEqual(out.packages, { hono: "4.13.19", zod: "4.6.7" });
  const imports = out.code.match(/^\s*import\s[^;]*?from\s*["'][^"']+["']/gm) ?? [];
  assert.deepEqual(imports.filter((i) => !/["']node:/.test(i)), [], "no import left to resolve");
  assert.doesNotMatch(out.code, /\/\/ \.\.\/|\.cache|picloud-bundle-/, "no server folder named");
  assert.match(out.code, /^\/\/ npm\/hono\/4\.13\.19\//m);
  assert.match(out.code, /^\/\/ lib\/greet\.ts$/m);
  const res = await runBundle(out.code, "http://x/hi/ann");
  assert.equal(await res.text(), "hello ann");
});

Deno.test("an npm: import without a version resolves through the cache and records it", async () => {
  const out = await bundle(
    uploadOf({
      source: `import { Hono } from "npm:hono@4.13.19";\n` +
        `export default new Hono().get("/", (c) => c.text("ok"));\n`,
    }),
    testBundler({ offline: true }),
  );
  assert.equal(out.packages.hono, "4.13.19");
  assert.equal(await (await runBundle(out.code, "http://x/")).text(), "ok");
  assert.ok(JSON.stringify(out.lock).includes("integrity"), "the lock keeps integrities");
});

Deno.test("a syntax error in a second file is reported at that file, line and column", async () => {
  const before = bundlerStats();
  const err = await refusal(bundle(
    uploadOf({
      files: {
        "main.ts": `import { f } from "./lib/f.ts";\nexport default { fetch: () => f() };\n`,
        "lib/f.ts": `export function f() {\n  return new Response(1 +);\n}\n`,
      },
    }),
    testBundler({ offline: true }),
  ));
  assert.equal(err.code, "bundle_failed");
  const [d] = (err.details as { diagnostics: { file: string; line: number }[] }).diagnostics;
  assert.equal(d.file, "lib/f.ts");
  assert.equal(d.line, 2);
  assert.doesNotMatch(err.message, /picloud-bundle-|file:\/\//, "no server paths in the message");
  // Counted for /metrics (other tests may bundle at the same time: at least this one).
  const after = bundlerStats();
  assert.ok(after.runs >= before.runs + 1 && after.failed >= before.failed + 1);
});

Deno.test("a package the cache lacks, offline, is 422 dependency_unavailable naming it", async () => {
  const err = await refusal(bundle(
    uploadOf({
      source: `import x from "npm:picloud-no-such-package-3f9a@1.0.0";\n` +
        `export default { fetch: () => new Response(String(x)) };\n`,
    }),
    testBundler({ offline: true }),
  ));
  assert.equal(err.code, "dependency_unavailable");
  assert.equal((err.details as { package: string }).package, "picloud-no-such-package-3f9a@1.0.0");
  assert.doesNotMatch(err.message, /--no-npm|--allow-import|DENO_DIR/);
});

Deno.test("a bare import that is neither a file nor a dependency says what to do", async () => {
  const err = await refusal(bundle(
    uploadOf({ source: `import pad from "left-pad";\nexport default { fetch: () => pad() };\n` }),
    testBundler({ offline: true }),
  ));
  assert.equal(err.code, "bundle_failed");
  assert.match(err.message, /npm:left-pad/);
});

Deno.test("an import of a server file outside the upload is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/secret.json`, `{"key":"do-not-leak"}`);
  await Deno.writeTextFile(`${dir}/secret.ts`, `export const key = "do-not-leak";`);
  try {
    for (
      const spec of [`${dir}/secret.ts`, `file://${dir}/secret.ts`, `../../../..${dir}/secret.ts`]
    ) {
      const err = await refusal(bundle(
        uploadOf({
          files: {
            "main.ts":
              `import { key } from "${spec}";\nexport default { fetch: () => new Response(key) };`,
            "other.ts": "export const x = 1;",
          },
        }),
        testBundler({ offline: true }),
      ));
      assert.equal(err.code, "bundle_failed", spec);
      assert.doesNotMatch(JSON.stringify(err.details), /do-not-leak/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an import from a host that is not a public module host is refused, in our words", async () => {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    hits++;
    return new Response("export const x = 1;", { headers: { "content-type": "text/javascript" } });
  });
  try {
    const err = await refusal(bundle(
      uploadOf({
        source: `import { x } from "http://127.0.0.1:${server.addr.port}/m.js";\n` +
          `export default { fetch: () => new Response(String(x)) };\n`,
      }),
      testBundler(),
    ));
    assert.equal(err.code, "bundle_failed");
    assert.match(err.message, /Imports from 127\.0\.0\.1:\d+ are not allowed/);
    assert.doesNotMatch(err.message, /--allow|flag/);
    assert.equal(hits, 0, "the server never fetched it");
  } finally {
    await server.shutdown();
  }
});

Deno.test("the bundler's time limit stops it and is reported by name", async () => {
  const err = await refusal(bundle(
    uploadOf({
      files: { "main.ts": `export { x } from "./b.ts";`, "b.ts": "export const x = 1;" },
    }),
    { ...testBundler({ offline: true }), timeoutMs: 1 },
  ));
  assert.equal(err.code, "bundle_failed");
  assert.equal((err.details as { limit: string }).limit, "time");
});

Deno.test("upload rules: paths, entry, config files and dependency ranges", () => {
  const bad = (body: Parameters<typeof uploadOf>[0], re: RegExp) => {
    assert.throws(
      () => uploadOf(body),
      (e: unknown) => e instanceof ApiError && re.test(e.message),
    );
  };
  bad({ files: { "a.ts": "", "b.ts": "" } }, /Name the entry/);
  bad({ files: { "main.ts": "", "notes.txt": "" } }, /only \.ts/);
  bad({ files: { "main.ts": "" }, entry: "x.ts" }, /not one of/);
  bad({ files: { "main.ts": "", "package.json": "{" } }, /not valid JSON/);
  bad(
    { files: { "main.ts": "", "package.json": `{"dependencies":{"x":"git+https://e/x"}}` } },
    /cannot be bundled/,
  );
  const u = uploadOf({
    files: {
      "src/app.ts": "",
      "deno.json": `{"imports":{"@/":"./src/"}}`,
    },
    dependencies: { "@scope/pkg": "^1.2.0" },
  });
  assert.equal(u.entry, "src/app.ts");
  assert.deepEqual(u.imports, {
    "@/": "./src/",
    "@scope/pkg": "npm:@scope/pkg@^1.2.0",
    "@scope/pkg/": "npm:/@scope/pkg@^1.2.0/",
  });
});

Deno.test("bundler errors are parsed into file, line and column", () => {
  const src = "/tmp/picloud-bundle-x/src";
  const stderr = `warning\nerror: Module not found "file://${src}/lib/nope.ts".\n` +
    `    at file://${src}/main.ts:1:17\nerror: bundling failed\n\nStack backtrace:\n   0: <unknown>\n`;
  assert.deepEqual(parseBundlerErrors(stderr, src), [
    { message: `Module not found "lib/nope.ts".`, file: "main.ts", line: 1, column: 17 },
  ]);
});

Deno.test("JSX settings of a deploy's deno.json reach the bundler; a JSX pragma alone bundles", async () => {
  const page = `import { Hono } from "hono";\nconst app = new Hono();\n` +
    `app.get("/", (c) => c.html(<p class="x">{"<hi>"}</p>));\nexport default app;\n`;
  const hono = { hono: "npm:hono@4.13.19", "hono/": "npm:/hono@4.13.19/" };
  for (const jsx of ["precompile", "react-jsx"]) {
    const upload = uploadOf({
      files: {
        "main.tsx": page,
        "deno.json": JSON.stringify({
          compilerOptions: { jsx, jsxImportSource: "hono/jsx", strict: true },
          imports: hono,
        }),
      },
    });
    assert.deepEqual(upload.jsx, { jsx, jsxImportSource: "hono/jsx" }, "JSX keys only");
    const out = await bundle(upload, testBundler({ offline: true }));
    assert.doesNotMatch(out.code, /React\.createElement/);
    const res = await runBundle(out.code, "http://x/");
    assert.equal(await res.text(), `<p class="x">&lt;hi&gt;</p>`, jsx);
  }
  // One file, its JSX runtime named by a pragma: that is an import, so it is bundled.
  const pragma = uploadOf({
    files: {
      "page.tsx": `/** @jsxImportSource npm:hono@4.13.19/jsx */\n` +
        `export default { fetch: () => new Response(String(<b>1</b>)) };\n`,
    },
  });
  assert.equal(needsBundle(pragma), true);
  const res = await runBundle(
    (await bundle(pragma, testBundler({ offline: true }))).code,
    "http://x/",
  );
  assert.equal(await res.text(), "<b>1</b>");
  // Settings that are not JSX, or a runtime outside npm and the import map, are refused.
  assert.throws(
    () =>
      uploadOf({
        files: {
          "main.tsx": page,
          "deno.json": JSON.stringify({ compilerOptions: { jsxImportSource: "/etc/x" } }),
        },
      }),
    (e: ApiError) => e.code === "invalid_upload",
  );
});

Deno.test("compactMap() keeps positions only and names sources as the user sees them", () => {
  const map = compactMap(
    {
      version: 3,
      sources: [
        "../src/lib/f.ts",
        "../../cache/npm/registry.npmjs.org/zod/4.6.7/index.js",
        "../../cache/deps/x.js",
      ],
      sourcesContent: ["secret", "text", "more"],
      names: ["a"],
      mappings: "AAAA",
    } as Parameters<typeof compactMap>[0],
    "/tmp/b",
    "/tmp/cache",
  );
  assert.deepEqual(JSON.parse(map!), {
    version: 3,
    sources: ["lib/f.ts", "npm/zod/4.6.7/index.js", "(package cache)"],
    names: [],
    mappings: "AAAA",
  });
  assert.equal(compactMap({ sources: [] }, "/tmp/b", "/tmp/cache"), null);
});

Deno.test("no deno to bundle with (a compiled binary without one, a wrong PICLOUD_DENO_BIN) is 422 saying what to do", async () => {
  const err = await refusal(bundle(
    uploadOf({
      files: {
        "main.ts": `import { f } from "./f.ts";\nexport default { fetch: f };\n`,
        "f.ts": "",
      },
    }),
    { ...testBundler({ offline: true }), denoPath: "/nonexistent/deno" },
  ));
  assert.equal(err.code, "bundle_failed");
  assert.match(err.message, /Deno 2\.9\.6, which was not found at \/nonexistent\/deno/);
  assert.match(err.message, /PICLOUD_DENO_BIN/);
});
