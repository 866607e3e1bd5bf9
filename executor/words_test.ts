/** @module Tests that deploy checks and run-time failures speak PiCloud's words, never Deno's flags (real sandbox). */

import assert from "node:assert/strict";
import { inWords, unsupportedApis } from "./_words.ts";
import { get, opts, script, testPool } from "../testing/executor.ts";

// The load time limit of a check: generous, so a loaded machine never turns a refusal into a
// timeout (the timeout itself is tested with its own small limit).
const limits = { timeoutMs: 15_000, memoryLimitMb: 128 };
const FLAGS = /--allow-|--no-npm|--no-remote|run again with/;

/** Probes that fail at run time: source of the fetch handler's body → the message expected. */
const RUN_PROBES: [string, string, RegExp][] = [
  [
    "fetch to a host not allowed",
    `await fetch("https://api.example.com/x");`,
    /^NotCapable: fetch to api\.example\.com is not in this script's allowedHosts policy \(add it under Policy\)/,
  ],
  [
    "a socket to a host not allowed",
    `await Deno.connect({ hostname: "db.example.com", port: 5432 });`,
    /^NotCapable: a connection to db\.example\.com:5432 is not in this script's allowedHosts policy/,
  ],
  ["listening", `Deno.listen({ port: 0 });`, /^NotCapable: scripts cannot listen for connections/],
  [
    "Deno.readFile",
    `await Deno.readFile("/etc/passwd");`,
    /^NotCapable: scripts cannot read files \("\/etc\/passwd"\)/,
  ],
  [
    "node:fs",
    `(await import("node:fs")).readFileSync("/etc/hosts");`,
    /^NotCapable: scripts cannot read files \("\/etc\/hosts"\)/,
  ],
  [
    "Deno.writeTextFile",
    `await Deno.writeTextFile("/tmp/x", "y");`,
    /^NotCapable: scripts cannot write files/,
  ],
  [
    "a subprocess",
    `await new Deno.Command("ls").output();`,
    /^NotCapable: scripts cannot start subprocesses/,
  ],
  ["FFI", `Deno.dlopen("libc.so.6", {});`, /^NotCapable: scripts cannot load native libraries/],
  [
    "npm: at run time",
    `await import("npm:" + "hono");`,
    /^TypeError: an npm: package is imported at run time: import it statically/,
  ],
  [
    "a bare name at run time",
    `const m = "ho" + "no"; await import(m);`,
    /^TypeError: "hono" is imported at run time/,
  ],
  [
    "HTMLRewriter",
    `new HTMLRewriter();`,
    /^ReferenceError: HTMLRewriter is not provided by PiCloud: /,
  ],
  [
    "WebSocketPair",
    `new WebSocketPair();`,
    /^ReferenceError: WebSocketPair is not provided by PiCloud: /,
  ],
  [
    "the user's own error",
    `throw new RangeError("my own words --allow-net stays");`,
    /^RangeError: my own words --allow-net stays$/m,
  ],
];

/** Probes refused by the deploy check: module source → the diagnostic expected. */
const CHECK_PROBES: [string, string, RegExp][] = [
  [
    "npm: import",
    `import { Hono } from "npm:hono";\nexport default { fetch: () => new Response("x") };`,
    /^TypeError: npm:hono is imported at run time: import it statically in the deployed files/,
  ],
  [
    "https: import",
    `import x from "https://esm.sh/hono";\nexport default { fetch: () => x };`,
    /^TypeError: https:\/\/esm\.sh\/hono is imported at run time/,
  ],
  [
    "jsr: import",
    `import x from "jsr:@std/path";\nexport default { fetch: () => x };`,
    /^TypeError: jsr:@std\/path is imported at run time/,
  ],
  [
    "file: import",
    `import x from "file:///etc/passwd";\nexport default x;`,
    /^NotCapable: scripts cannot read files/,
  ],
  [
    "relative import",
    `import x from "./other.ts";\nexport default { fetch: () => x };`,
    /^TypeError: "\.\/other\.ts" is imported at run time: send the file with the deploy/,
  ],
  [
    "bare import",
    `import x from "hono";\nexport default { fetch: () => x };`,
    /^TypeError: "hono" is imported at run time/,
  ],
  [
    "top-level read",
    `const t = await Deno.readTextFile("/etc/passwd");\nexport default { fetch: () => new Response(t) };`,
    /^NotCapable: scripts cannot read files/,
  ],
];

Deno.test("words - run-time failures say what the user can do, never a Deno flag", async (t) => {
  const pool = testPool();
  try {
    for (const [i, [name, body, expected]] of RUN_PROBES.entries()) {
      await t.step(name, async () => {
        const source =
          `export default {\n  async fetch() {\n    ${body}\n    return new Response("x");\n  },\n};\n`;
        const inv = await pool.fetch(
          script(`app-words-${i}`, source, { entry: "worker.ts" }),
          get(),
          opts(),
        );
        await inv.response.body?.cancel();
        assert.equal(inv.outcome.kind, "rejected", JSON.stringify(inv.outcome));
        const error = inv.outcome.kind === "rejected" ? inv.outcome.error : "";
        assert.match(error, expected);
        if (name !== "the user's own error") assert.doesNotMatch(error, FLAGS);
        assert.doesNotMatch(error, /blob:|executor\/loader\.ts|ext:/);
      });
    }
  } finally {
    await pool.close();
  }
});

Deno.test("words - deploy checks say what the user can do, never a Deno flag", async (t) => {
  const pool = testPool();
  try {
    for (const [name, source, expected] of CHECK_PROBES) {
      await t.step(name, async () => {
        const [d, ...rest] = await pool.check({ appId: "app-words", source, ...limits });
        assert.equal(rest.length, 0);
        assert.match(d.message, expected);
        assert.doesNotMatch(d.message, FLAGS);
        assert.equal(d.line, 1);
      });
    }
  } finally {
    await pool.close();
  }
});

Deno.test("words - stack traces in errors and logs name the entry file, not platform paths", async () => {
  const pool = testPool();
  try {
    const source = [
      "function inner() { throw new TypeError('deep'); }",
      "export default {",
      "  fetch() {",
      "    try { inner(); } catch (err) { console.error(err); }",
      "    inner();",
      "  },",
      "};",
    ].join("\n");
    const inv = await pool.fetch(
      script("app-stack", source, { entry: "src/index.ts" }),
      get(),
      opts(),
    );
    await inv.response.body?.cancel();
    const error = inv.outcome.kind === "rejected" ? inv.outcome.error : "";
    assert.deepEqual(error.split("\n").map((l) => l.trim()), [
      "TypeError: deep",
      "at inner (src/index.ts:1:26)",
      "at Object.fetch (src/index.ts:5:5)",
    ]);
    const logged = inv.logs.map((l) => l.message).join("\n");
    assert.match(logged, /at inner \(src\/index\.ts:1:26\)/);
    assert.doesNotMatch(logged, /blob:|loader\.ts|ext:/);
    const plain = await pool.fetch(
      script("app-stack", source.replace("deep", "deeper")),
      get(),
      opts(),
    );
    await plain.response.body?.cancel();
    assert.match(plain.outcome.kind === "rejected" ? plain.outcome.error : "", /\(main\.ts:1:26\)/);
  } finally {
    await pool.close();
  }
});

Deno.test("inWords() - is idempotent and keeps unknown text as written", () => {
  const raw =
    'NotCapable: Requires net access to "a.example:443", run again with the --allow-net flag\n' +
    "    at mainFetch (ext:deno_fetch/26_fetch.js:2:2193)\n" +
    "    at Object.fetch (blob:null/5b6dd2ee-8753-4345-8c30-93d57f8e0d54:1:40)\n" +
    "    at run (file:///srv/picloud/executor/loader.ts:155:34)";
  const once = inWords(raw);
  assert.equal(
    once,
    "NotCapable: fetch to a.example is not in this script's allowedHosts policy (add it under Policy)\n" +
      "    at Object.fetch (main.ts:1:40)",
  );
  assert.equal(inWords(once), once);
  assert.equal(inWords("Error: something else"), "Error: something else");
});

Deno.test("inWords() - the process environment: the script's own environment is named instead", () => {
  // Deno.env and process.env are the script's vars and secrets (contract_test.ts); what still
  // asks for the process's environment is told where the script's own is.
  assert.equal(
    inWords(
      'NotCapable: Requires env access to "HOME", run again with the --allow-env flag',
    ),
    'NotCapable: the process environment is not available to scripts ("HOME"): a script\'s ' +
      'environment is its vars and secrets (env.HOME, Deno.env.get("HOME"), process.env.HOME)',
  );
});

Deno.test("unsupportedApis() - names uses of Workers APIs, not feature tests", () => {
  const found = unsupportedApis(
    [
      `import { connect } from "cloudflare:sockets";`,
      `const ok = typeof HTMLRewriter === "function";`,
      `export default { fetch: () => new HTMLRewriter().transform(new Response("")) };`,
    ].join("\n"),
  );
  assert.deepEqual(found.map(({ api, line, column }) => ({ api, line, column })), [
    { api: "cloudflare:sockets", line: 1, column: 25 },
    { api: "HTMLRewriter", line: 3, column: 31 },
  ]);
  assert.deepEqual(unsupportedApis(`const x = "new HTMLRewriter is fine in a word";`), []);
});
