/** @module What `deploy` packs: folder walking, exclusions, caps; and the small parsers. */

import assert from "node:assert/strict";
import { parseTarGzip } from "nanotar";
import { packDir, packFile, UPLOAD_CAPS } from "./pack.ts";
import { parseRoute } from "./deploy.ts";
import { firstErrorLine, sseEvents } from "./logs.ts";
import { table } from "./terminal.ts";

Deno.test("packDir() leaves out node_modules, .git and dotfiles, keeping folders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const d of ["lib", "node_modules/p", ".git", "lib/.cache"]) {
      await Deno.mkdir(`${dir}/${d}`, { recursive: true });
    }
    for (
      const f of ["main.ts", "lib/a.ts", "node_modules/p/i.js", ".git/HEAD", ".env", "lib/.cache/x"]
    ) {
      await Deno.writeTextFile(`${dir}/${f}`, `// ${f}\n`);
    }
    const up = await packDir(dir);
    assert.equal(up.contentType, "application/gzip");
    assert.deepEqual(up.files, ["lib/a.ts", "main.ts"]);
    const items = await parseTarGzip(up.body);
    assert.deepEqual(items.map((i) => i.name).sort(), ["lib/a.ts", "main.ts"]);
    assert.equal(
      new TextDecoder().decode(items.find((i) => i.name === "main.ts")!.data),
      "// main.ts\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packDir() refuses a folder over the caps with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/big.js`, new Uint8Array(UPLOAD_CAPS.maxTotalBytes + 1));
    await assert.rejects(packDir(dir), (e: Error & { code: string; exit: number }) => {
      assert.equal(e.code, "upload_too_large");
      assert.equal(e.exit, 1);
      assert.match(e.message, /over the 5 MB a deploy may upload/);
      return true;
    });
    await Deno.remove(`${dir}/big.js`);
    for (let i = 0; i <= UPLOAD_CAPS.maxFiles; i++) await Deno.writeTextFile(`${dir}/f${i}.ts`, "");
    await assert.rejects(packDir(dir), /more than 200 files/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packFile() takes the media type from the extension", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.ts`, "x");
    await Deno.writeTextFile(`${dir}/a.mjs`, "x");
    await Deno.writeTextFile(`${dir}/a.txt`, "x");
    assert.equal((await packFile(`${dir}/a.ts`)).contentType, "application/typescript");
    assert.equal((await packFile(`${dir}/a.mjs`)).contentType, "application/javascript");
    await assert.rejects(packFile(`${dir}/a.txt`), { exit: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseRoute() reads METHOD /path; a bare path is ANY", () => {
  assert.deepEqual(parseRoute("get /a/:b"), { method: "GET", path: "/a/:b" });
  assert.deepEqual(parseRoute("/x/*"), { method: "ANY", path: "/x/*" });
  assert.throws(() => parseRoute("GET a"), { exit: 2 });
});

Deno.test("sseEvents() yields events across chunk boundaries and skips comments", async () => {
  const enc = new TextEncoder();
  const body = ReadableStream.from(
    [": following\n\nevent: log\nid: 1\nda", 'ta: {"a":1}\n\n', "event: end\ndata: {}\n\n"]
      .map((s) => enc.encode(s)),
  );
  const got = [];
  for await (const e of sseEvents(body, new AbortController().signal)) got.push(e);
  assert.deepEqual(got, [{ event: "log", data: '{"a":1}' }, { event: "end", data: "{}" }]);
});

Deno.test("table() pads every column but the last", () => {
  assert.equal(table(["A", "BB"], [["xyz", "1"], ["", ""]]), "A    BB\nxyz  1\n");
});

Deno.test("firstErrorLine() gives the kind and the first line of the message", () => {
  assert.equal(
    firstErrorLine({ kind: "rejected", error: "Error: boom\nsecond\n    at fetch (main.ts:1:2)" }),
    "rejected: Error: boom",
  );
  assert.equal(firstErrorLine({ message: "x\ny" }), "x");
  assert.equal(firstErrorLine({ kind: "timeout" }), "timeout");
});
