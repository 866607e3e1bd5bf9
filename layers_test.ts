/** @module The folders match the layers: which folder may import which, and through what. */
import assert from "node:assert/strict";

const ROOT = new URL("./", import.meta.url);
const SKIP = new Set(["node_modules", ".picloud", "dist", "testdata", ".git"]);

/** Every TypeScript file of the repository, relative to its root. */
function sources(dir = ""): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(new URL(dir || ".", ROOT))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !SKIP.has(entry.name)) out.push(...sources(path));
    else if (entry.isFile && /\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The repository files `file` imports (relative specifiers only), resolved from the root. */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(new URL(file, ROOT));
  const found = text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)"(\.{1,2}\/[^"]+)"/gm);
  return [...found].map((m) => new URL(m[1], new URL(file, ROOT)).href.slice(ROOT.href.length));
}

const top = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : ".";
const isTest = (path: string) => /_test\.tsx?$/.test(path);
const all = sources().map((file) => ({ file, imports: importsOf(file) }));

/**
 * Imports that break a rule and are known: what `main.ts` loads lazily as the executor process's
 * own entry, and benches that measure private parts.
 */
const KNOWN: Record<string, string[]> = {
  "main.ts": ["executor/child.ts"],
  "bench/loader_worker.ts": ["executor/_frames.ts", "executor/_protocol.ts"],
  "bench/log_path.ts": [
    "orchestrator/log_writer.ts",
    "orchestrator/repo.ts",
    "orchestrator/log_block.ts",
  ],
};
const known = (file: string, target: string) => KNOWN[file]?.includes(target) ?? false;

Deno.test("layers - nothing in orchestrator/ imports manager/, tests included", () => {
  const bad = all.filter((f) => top(f.file) === "orchestrator")
    .flatMap((f) => f.imports.filter((t) => top(t) === "manager").map((t) => `${f.file} → ${t}`));
  assert.deepEqual(bad, []);
});

Deno.test("layers - common/ imports only common/ (its tests may use the testing helpers)", () => {
  const bad = all.filter((f) => top(f.file) === "common" && !isTest(f.file))
    .flatMap((f) =>
      f.imports.filter((t) => top(t) !== "common" && !known(f.file, t)).map((t) =>
        `${f.file} → ${t}`
      )
    );
  assert.deepEqual(bad, []);
});

Deno.test("layers - outsiders reach orchestrator/ and executor/ only through their mod.ts", () => {
  const bad = all.flatMap((f) =>
    f.imports.filter((t) =>
      (top(t) === "orchestrator" || top(t) === "executor") && top(f.file) !== top(t) &&
      t !== `${top(t)}/mod.ts` && !known(f.file, t)
    ).map((t) => `${f.file} → ${t}`)
  );
  assert.deepEqual(bad, []);
});

Deno.test("layers - the known exceptions still exist (a stale one is removed)", () => {
  const stale = Object.entries(KNOWN).flatMap(([file, targets]) =>
    targets.filter((t) => !all.find((f) => f.file === file)?.imports.includes(t))
      .map((t) => `${file} → ${t}`)
  );
  assert.deepEqual(stale, []);
});
