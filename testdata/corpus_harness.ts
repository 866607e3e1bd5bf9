/**
 * @module The corpus test's harness: reads a corpus entry as a user has it on disk, deploys it
 * through the API in one of the forms a user would use (JSON files, raw source, a multipart form,
 * a tar archive), and calls it on a host of its own, as its visitors would.
 */
import assert from "node:assert/strict";
import { createTar, createTarGzip } from "nanotar";
import type { Reply, TestPlatform } from "../testing/platform.ts";

/** The corpus folder. */
export const CORPUS_DIR = new URL("./corpus/", import.meta.url);

const A = "/api/v1/admin";

/** How an entry is sent: the deploy's body as a user would make it. */
export type DeployForm =
  | "json-files"
  | "json-source"
  | "raw"
  | "multipart"
  | "tar"
  | "tgz";

/** A corpus entry deployed: its script, its host, its deploy reply. */
export interface Deployed {
  scriptId: string;
  appSlug: string;
  host: string;
  version: Reply;
  /** Wall time of the deploy call alone (`POST /scripts/{id}/versions`). */
  deployMs: number;
  /** Calls the script on its own host, from a fixed client address. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** The client address every corpus request comes from. */
export const CLIENT = { transport: "tcp", hostname: "203.0.113.7", port: 51_234 } as const;

/** A file or a folder of the corpus as `{ relative path: text }` (a file: under its own name). */
export async function readEntry(name: string): Promise<Record<string, string>> {
  const root = new URL(name, CORPUS_DIR);
  const stat = await Deno.stat(root);
  if (stat.isFile) return { [name]: await Deno.readTextFile(root) };
  const out: Record<string, string> = {};
  const walk = async (dir: URL, prefix: string, depth: number) => {
    assert.ok(depth < 8, "corpus folders are shallow");
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`, depth + 1);
      else out[`${prefix}${e.name}`] = await Deno.readTextFile(new URL(e.name, dir));
    }
  };
  await walk(new URL(`${name}/`, CORPUS_DIR), "", 0);
  return out;
}

/** The request body and headers of a deploy in `form`. */
async function deployRequest(
  files: Record<string, string>,
  form: DeployForm,
  entry: string | undefined,
): Promise<{ body?: unknown; raw?: BodyInit; headers?: Record<string, string>; query: string }> {
  const query = entry ? `?entry=${encodeURIComponent(entry)}` : "";
  const paths = Object.keys(files);
  switch (form) {
    case "json-files":
      return { body: { files, ...(entry ? { entry } : {}) }, query: "" };
    case "json-source":
      assert.equal(paths.length, 1);
      return { body: { source: files[paths[0]] }, query: "" };
    case "raw": {
      assert.equal(paths.length, 1);
      const js = /\.m?js$/.test(paths[0]);
      return {
        raw: files[paths[0]],
        headers: { "content-type": js ? "application/javascript" : "text/typescript" },
        query: "",
      };
    }
    case "multipart": {
      // As `curl -F path=@path` for each file: the field name is the file's path.
      const fd = new FormData();
      for (const [path, text] of Object.entries(files)) {
        fd.append(path, new File([text], path.split("/").pop()!));
      }
      if (entry) fd.append("entry", entry);
      return { raw: fd, query: "" };
    }
    case "tar":
    case "tgz": {
      // As `tar czf app.tgz app/`: every path under the project's folder.
      const items = Object.entries(files).map(([path, data]) => ({ name: `app/${path}`, data }));
      const bytes = form === "tar" ? createTar(items) : await createTarGzip(items);
      return {
        raw: new Blob([bytes as Uint8Array<ArrayBuffer>]),
        headers: { "content-type": form === "tar" ? "application/x-tar" : "application/gzip" },
        query,
      };
    }
  }
}

/** Options of one deploy. */
export interface DeployOptions {
  form: DeployForm;
  entry?: string;
  /** Plain vars of the script (its `env`). */
  vars?: Record<string, string>;
}

/**
 * Gives the entry an app, a host (`{slug}.corpus.test`) and a catch-all route, then deploys its
 * files in `opts.form`; asserts the deploy succeeded.
 */
export async function deployEntry(
  t: TestPlatform,
  token: string,
  name: string,
  opts: DeployOptions,
): Promise<Deployed> {
  const slug = `c-${name.replace(/[^a-z0-9]+/g, "-")}`;
  const host = `${slug}.corpus.test`;
  const ok = (r: Reply, status: number) => assert.equal(r.status, status, JSON.stringify(r.body));
  ok(await t.call("POST", `${A}/apps`, { token, body: { slug, name } }), 201);
  ok(await t.call("POST", `${A}/apps/${slug}/domains`, { token, body: { pattern: host } }), 201);
  const s = await t.call("POST", `${A}/scripts`, {
    token,
    body: { app_id: slug, name, source: `export default { fetch: () => new Response("") };` },
  });
  ok(s, 201);
  if (opts.vars) {
    ok(
      await t.call("PUT", `${A}/scripts/${s.body.id}/env`, { token, body: { vars: opts.vars } }),
      200,
    );
  }
  for (const path of ["/", "/*"]) {
    ok(
      await t.call("POST", `${A}/routes`, {
        token,
        body: { app_id: slug, script_id: s.body.id, method: "ANY", path },
      }),
      201,
    );
  }
  const files = await readEntry(name);
  const req = await deployRequest(files, opts.form, opts.entry);
  const started = performance.now();
  const version = await t.call("POST", `${A}/scripts/${s.body.id}/versions${req.query}`, {
    token,
    body: req.body,
    raw: req.raw,
    headers: req.headers,
  });
  const deployMs = Math.round(performance.now() - started);
  ok(version, 201);
  return {
    deployMs,
    scriptId: s.body.id,
    appSlug: slug,
    host,
    version,
    fetch: (path, init) =>
      t.p.tenantFetch(new Request(`http://${host}${path}`, init), { remoteAddr: CLIENT }),
  };
}

/** A response as `"{status} {body}"`, for one-line assertions. */
export async function text(res: Response): Promise<string> {
  return `${res.status} ${await res.text()}`;
}

/** The body's chunks as they arrived, decoded (a bounded read: at most `maxChunks`). */
export async function chunksOf(res: Response, maxChunks = 200): Promise<string[]> {
  const out: string[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (let i = 0; i < maxChunks; i++) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
  await reader.cancel();
  throw new Error(`more than ${maxChunks} chunks`);
}
