/**
 * @module The console's static files, read once from `ui/static/` and served under a name that
 * carries a hash of the content, so browsers may cache them for a year.
 */
import type { Hono } from "hono";

/** One served file: its versioned URL path and its bytes. */
export interface StaticAsset {
  href: string;
  body: string;
  contentType: string;
}

/** Reads `ui/static/console.css` (also inside the compiled binary: `--include ui/static/`). */
export function loadConsoleCss(): StaticAsset {
  const body = Deno.readTextFileSync(new URL("./static/console.css", import.meta.url));
  return { href: `/admin/static/console.${shortHash(body)}.css`, body, contentType: "text/css" };
}

/** The bundled islands (see `ui/build_islands.ts`): island name → served asset. */
export type Islands = Map<string, StaticAsset>;

/**
 * Reads `ui/static/islands/manifest.json` and the bundles it names. Without a manifest (the
 * islands were never built: `deno task build`) it returns none, and pages work without them.
 */
export function loadIslands(): Islands {
  const dir = new URL("./static/islands/", import.meta.url);
  let manifest: { islands: Record<string, string> };
  try {
    manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Map();
    throw err;
  }
  const islands: Islands = new Map();
  for (const [name, file] of Object.entries(manifest.islands)) {
    islands.set(name, {
      href: `/admin/static/islands/${file}`,
      body: Deno.readTextFileSync(new URL(file, dir)),
      contentType: "text/javascript",
    });
  }
  return islands;
}

/** Serves the assets at their versioned paths with long, immutable cache headers. */
export function bindStatic(ui: Hono, assets: StaticAsset[], mountedAt = "/admin"): void {
  for (const a of assets) {
    ui.get(a.href.slice(mountedAt.length), (c) =>
      c.body(a.body, 200, {
        "content-type": `${a.contentType}; charset=utf-8`,
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
      }));
  }
}

/** FNV-1a over the text, as 8 hex digits: enough to tell versions apart. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
