/**
 * @module What `picloud deploy` uploads: one file as it is (its media type from the extension), or
 * a folder as a tar.gz of its files — without `node_modules`, `.git` or dotfiles, and within the
 * server's upload caps, checked here so a too-large folder fails before anything is sent.
 */

import { createTarGzip } from "nanotar";
import { CliError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";

/** The server's caps on one deploy (`manager/scripts/upload.ts`): files and total bytes. */
export const UPLOAD_CAPS = { maxFiles: 200, maxTotalBytes: 5 * 1024 * 1024 } as const;

/** A body ready to send. */
export interface Upload {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** The files in it, relative to the folder (one for a file). */
  files: string[];
  /** Bytes of the files before packing. */
  sourceBytes: number;
  /** The same files as text by path: how `POST /scripts` takes a new script's first version. */
  texts: Record<string, string>;
}

const MEDIA: Record<string, string> = {
  ".ts": "application/typescript",
  ".mts": "application/typescript",
  ".tsx": "application/typescript",
  ".js": "application/javascript",
  ".mjs": "application/javascript",
  ".jsx": "application/javascript",
};

/** The extension of a path (`.ts`), or "". */
function extOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

/** One script file as a raw upload. */
export async function packFile(path: string): Promise<Upload> {
  const contentType = MEDIA[extOf(path)];
  if (!contentType) {
    throw new CliError(
      ExitCode.usage,
      "usage",
      `${path}: deploy a .ts, .tsx, .js, .mjs or .jsx file, or a folder`,
    );
  }
  const body = await Deno.readFile(path);
  if (body.length > UPLOAD_CAPS.maxTotalBytes) throw tooLarge(path, body.length);
  const name = path.slice(path.lastIndexOf("/") + 1);
  return {
    body,
    contentType,
    files: [name],
    sourceBytes: body.length,
    texts: { [name]: new TextDecoder().decode(body) },
  };
}

/** A folder's files as a tar.gz (`application/gzip`). */
export async function packDir(dir: string): Promise<Upload> {
  const files: { name: string; data: Uint8Array }[] = [];
  let total = 0;
  const walk = async (rel: string) => {
    const entries = [];
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        if (files.length >= UPLOAD_CAPS.maxFiles) {
          throw new CliError(
            ExitCode.failed,
            "upload_too_large",
            `${dir} has more than ${UPLOAD_CAPS.maxFiles} files (node_modules, .git and dotfiles ` +
              "are left out already): deploy a smaller folder, or bundle it into one file first",
          );
        }
        const data = await Deno.readFile(`${dir}/${path}`);
        total += data.length;
        if (total > UPLOAD_CAPS.maxTotalBytes) throw tooLarge(dir, total);
        files.push({ name: path, data });
      }
    }
  };
  await walk("");
  if (files.length === 0) {
    throw new CliError(ExitCode.usage, "usage", `${dir} has no files to deploy`);
  }
  const body = new Uint8Array(await createTarGzip(files));
  const decoder = new TextDecoder();
  return {
    body,
    contentType: "application/gzip",
    files: files.map((f) => f.name),
    sourceBytes: total,
    texts: Object.fromEntries(files.map((f) => [f.name, decoder.decode(f.data)])),
  };
}

function tooLarge(what: string, bytes: number): CliError {
  return new CliError(
    ExitCode.failed,
    "upload_too_large",
    `${what} is over the ${UPLOAD_CAPS.maxTotalBytes / 1024 / 1024} MB a deploy may upload ` +
      `(${sizeText(bytes)} so far): leave out what the script does not import`,
  );
}

/** Bytes as "512 B" or "12.3 KB". */
export function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}
