/**
 * @module The API reference page (`GET /api/v1/docs`): server-rendered from the OpenAPI document,
 * self-contained (inline styles, no scripts, fonts or CDN) so it works offline.
 */
import type { JsonObject, OpenApiDocument, OpenApiOperation } from "./openapi.ts";

type Doc = OpenApiDocument;

/** Renders the whole page as an HTML string. */
export function renderDocsPage(doc: Doc): string {
  return "<!doctype html>" + String(<Page doc={doc} />);
}

interface Op {
  method: string;
  path: string;
  op: OpenApiOperation;
}

function operationsByTag(doc: Doc): Map<string, Op[]> {
  const byTag = new Map<string, Op[]>(doc.tags.map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op) byTag.get(op.tags[0])?.push({ method, path, op });
    }
  }
  return byTag;
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
main{max-width:980px;margin:0 auto;padding:1rem 1.5rem 4rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #d8dee8;padding-bottom:.2rem;margin-top:2.5rem}
code,.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.op{background:#fff;border:1px solid #d8dee8;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.op h3{margin:.2rem 0;font-size:1rem;display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.m{font:700 .75rem ui-monospace,monospace;padding:.15rem .45rem;border-radius:4px;color:#fff}
.get{background:#2f7d4f}.post{background:#2d5fa8}.put{background:#8a5a00}
.patch{background:#7a4fb3}.delete{background:#b03a3a}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .6rem}
th,td{text-align:left;vertical-align:top;border-top:1px solid #e6eaf0;padding:.25rem .5rem}
th{font-size:.8rem;color:#5a6475;font-weight:600}
.meta{color:#5a6475;font-size:.9rem}.req{color:#b03a3a;font-size:.8rem}
nav ul{columns:2;padding-left:1.2rem}h4{margin:.6rem 0 .1rem;font-size:.85rem;color:#5a6475}
`;

function Page({ doc }: { doc: Doc }) {
  const byTag = operationsByTag(doc);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title} reference</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>
          <h1>{doc.info.title}</h1>
          <p class="meta">
            Version {doc.info.version} · OpenAPI {doc.openapi} ·{" "}
            <a href="/api/v1/openapi.json">openapi.json</a>
          </p>
          <p>
            Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> (a session token from
            {" "}
            <code>POST /api/v1/admin/login</code> or an API key <code>pc_…</code>), or with the{" "}
            <code>picloud_session</code> cookie. Every error is{" "}
            <code>{"{ error: { code, message, details? } }"}</code> with a stable <code>code</code>.
          </p>
          <nav>
            <ul>
              {[...byTag.keys()].map((tag) => (
                <li>
                  <a href={`#tag-${tag}`}>{tag}</a> ({byTag.get(tag)!.length})
                </li>
              ))}
              <li>
                <a href="#schemas">schemas</a>
              </li>
            </ul>
          </nav>
          {[...byTag.entries()].map(([tag, ops]) => (
            <section id={`tag-${tag}`}>
              <h2>{tag}</h2>
              {ops.map((o) => <Operation key={o.op.operationId} o={o} doc={doc} />)}
            </section>
          ))}
          <section id="schemas">
            <h2>schemas</h2>
            {Object.entries(doc.components.schemas).map(([name, s]) => (
              <div class="op" id={`schema-${name}`}>
                <h3>{name}</h3>
                <Fields schema={s} doc={doc} />
              </div>
            ))}
          </section>
        </main>
      </body>
    </html>
  );
}

function Operation({ o, doc }: { o: Op; doc: Doc }) {
  const { op } = o;
  const body = op.requestBody?.content["application/json"].schema;
  return (
    <div class="op" id={op.operationId}>
      <h3>
        <span class={`m ${o.method}`}>{o.method.toUpperCase()}</span>
        <span class="path">{o.path}</span>
      </h3>
      <div>
        <Md text={op.summary} />
      </div>
      <div class="meta">
        Action <code>{op["x-picloud-action"]}</code> · {op["x-picloud-access"]}
        {op.security?.length === 0 ? " · no credentials needed" : ""}
      </div>
      {op.parameters && (
        <>
          <h4>Parameters</h4>
          <table>
            <tr>
              <th>name</th>
              <th>in</th>
              <th>type</th>
              <th>description</th>
            </tr>
            {op.parameters.map((p) => (
              <tr>
                <td>
                  <code>{p.name}</code> {p.required && <span class="req">required</span>}
                </td>
                <td>{p.in}</td>
                <td>
                  <code>{typeOf(p.schema)}</code>
                  {constraintsOf(p.schema)}
                </td>
                <td>
                  <Md text={p.description ?? ""} />
                </td>
              </tr>
            ))}
          </table>
        </>
      )}
      {body && (
        <>
          <h4>Request body (application/json)</h4>
          <Fields schema={body} doc={doc} />
        </>
      )}
      <h4>Responses</h4>
      <table>
        {Object.entries(op.responses).map(([status, r]) => {
          const s = r.content?.["application/json"]?.schema;
          const media = Object.keys(r.content ?? {}).find((m) => m !== "application/json");
          return (
            <tr>
              <td>
                <b>{status}</b>
              </td>
              <td>
                <Md text={r.description} />
              </td>
              <td>{s ? <code>{typeOf(s)}</code> : media ? <code>{media}</code> : ""}</td>
            </tr>
          );
        })}
      </table>
    </div>
  );
}

/** The fields of an object schema, one row each (other schemas as one type). */
function Fields({ schema, doc }: { schema: JsonObject; doc: Doc }) {
  const s = resolve(schema, doc);
  const props = s.properties as Record<string, JsonObject> | undefined;
  if (!props) {
    return (
      <p>
        <code>{typeOf(schema)}</code>
      </p>
    );
  }
  const required = new Set((s.required ?? []) as string[]);
  return (
    <table>
      <tr>
        <th>field</th>
        <th>type</th>
        <th>description</th>
      </tr>
      {Object.entries(props).map(([name, p]) => (
        <tr>
          <td>
            <code>{name}</code> {required.has(name) && <span class="req">required</span>}
          </td>
          <td>
            <code>{typeOf(p)}</code>
            {constraintsOf(p)}
          </td>
          <td>
            <Md text={typeof p.description === "string" ? p.description : ""} />
          </td>
        </tr>
      ))}
    </table>
  );
}

/** Text with `code spans`, the only Markdown the descriptions use. */
function Md({ text }: { text: string }) {
  return <>{text.split("`").map((part, i) => i % 2 === 1 ? <code key={i}>{part}</code> : part)}</>;
}

function resolve(schema: JsonObject, doc: Doc): JsonObject {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  return doc.components.schemas[ref.split("/").pop()!] ?? schema;
}

/** A short TypeScript-like rendering of a JSON Schema. */
export function typeOf(s: JsonObject, depth = 0): string {
  if (typeof s.$ref === "string") return s.$ref.split("/").pop()!;
  const union = (s.anyOf ?? s.oneOf) as JsonObject[] | undefined;
  if (union) return union.map((x) => typeOf(x, depth)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.type === "array") return `${wrap(typeOf((s.items ?? {}) as JsonObject, depth))}[]`;
  if (s.type === "object" || s.properties) {
    const props = s.properties as Record<string, JsonObject> | undefined;
    if (!props) return "object";
    if (depth >= 2) return "{ … }";
    const req = new Set((s.required ?? []) as string[]);
    const fields = Object.entries(props).map(([k, v]) =>
      `${k}${req.has(k) ? "" : "?"}: ${typeOf(v, depth + 1)}`
    );
    return `{ ${fields.join("; ")} }`;
  }
  if (typeof s.type === "string") return s.format ? `${s.type} (${s.format})` : s.type;
  return "any";
}

function wrap(t: string): string {
  return t.includes(" | ") ? `(${t})` : t;
}

/** Length and range limits and the default, when there are any. */
function constraintsOf(s: JsonObject) {
  const parts: string[] = [];
  const inner = ((s.anyOf ?? []) as JsonObject[]).find((x) => x.type !== "null") ?? s;
  for (const [k, label] of [["minLength", "min length"], ["maxLength", "max length"]]) {
    if (typeof inner[k] === "number") parts.push(`${label} ${inner[k]}`);
  }
  if (typeof inner.minimum === "number") parts.push(`≥ ${inner.minimum}`);
  if (typeof inner.maximum === "number") parts.push(`≤ ${inner.maximum}`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.length > 0 ? <div class="meta">{parts.join(", ")}</div> : "";
}
