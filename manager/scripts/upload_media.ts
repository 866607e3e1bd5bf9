/**
 * @module The forms a deploy's body may take besides JSON, each read into the JSON shape the
 * deploy schema validates (`upload.ts`): the raw source of one file, a multipart form of several
 * files, or a tar (optionally gzipped) archive of them.
 */
import { parseTar, parseTarGzip } from "nanotar";
import { ApiError } from "../../common/errors.ts";
import type { BodyMedia } from "../openapi_types.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

const rawSource: BodyMedia = {
  schema: { type: "string", description: "The script's source, as a file (no JSON escaping)" },
  read: async (req) => ({ source: utf8.decode(await req.arrayBuffer()) }),
};

const FIELDS = ["entry", "imports", "dependencies"] as const;

const filesSchema = {
  type: "object",
  properties: {
    entry: { type: "string", description: "The entry module's path" },
    imports: { type: "string", description: "An import map, as JSON" },
    dependencies: { type: "string", description: "name → version range, as JSON" },
  },
  additionalProperties: {
    type: "string",
    contentMediaType: "application/octet-stream",
    description:
      "A file, stored under its field name (or its file name for fields `file`, `files`)",
  },
};

/** A multipart form: file parts by field name (or file name for `file`/`files`), plus fields. */
const multipart: BodyMedia = {
  schema: filesSchema,
  read: async (req) => {
    const form = await req.formData();
    const files: Record<string, string> = {};
    const out: Record<string, unknown> = { files };
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") {
        if (!(FIELDS as readonly string[]).includes(name)) {
          throw new ApiError("invalid_upload", `Unknown form field ${name}: send files as files`);
        }
        out[name] = name === "entry" ? value : jsonField(name, value);
        continue;
      }
      const path = name === "file" || name === "files" ? value.name : name;
      if (path in files) throw new ApiError("invalid_upload", `Two files named ${path}`);
      files[path] = utf8.decode(await value.arrayBuffer());
    }
    return out;
  },
};

function jsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ApiError("invalid_upload", `The ${name} field is not valid JSON`);
  }
}

/** A tar archive's regular files; a leading `./` and one common top folder are dropped. */
function tarReader(gzip: boolean): BodyMedia {
  return {
    schema: {
      type: "string",
      contentMediaType: gzip ? "application/gzip" : "application/x-tar",
      description: "A tar archive of the files; name the entry with `?entry=` if needed",
    },
    read: async (req) => {
      const data = new Uint8Array(await req.arrayBuffer());
      const items = gzip ? await parseTarGzip(data) : parseTar(data);
      const regular = items.filter((i) => (i.type ?? "file") === "file" && i.data);
      let names = regular.map((i) => i.name.replace(/^\.\//, ""));
      const top = names[0]?.split("/")[0];
      if (top && names.every((n) => n.startsWith(`${top}/`))) {
        names = names.map((n) => n.slice(top.length + 1));
      }
      const files: Record<string, string> = {};
      regular.forEach((item, i) => files[names[i]] = utf8.decode(item.data!));
      return { files };
    },
  };
}

/** Every non-JSON form of `POST /scripts/{id}/versions`, by media type. */
export const uploadMedia: Record<string, BodyMedia> = {
  "application/javascript": rawSource,
  "text/javascript": rawSource,
  "application/typescript": rawSource,
  "text/typescript": rawSource,
  "multipart/form-data": multipart,
  "application/x-tar": tarReader(false),
  "application/gzip": tarReader(true),
};
