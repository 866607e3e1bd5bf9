/**
 * @module Names the user's own files and lines in the stack traces of bundled versions: a frame at
 * `<entry>:<line>:<column>` of a bundle is mapped through the version's source map to the upload's
 * `lib/f.ts:<line>:<column>` (or `npm/<package>/<version>/<file>:…`). Parsed maps are cached per
 * version id, bounded in count and in bytes.
 */
import { LEAST_UPPER_BOUND, originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";

/** Maps the frames of a version's error texts back to the upload's files. */
export interface StackMaps {
  /**
   * `text` with every `<entry>:<line>:<column>` of the version's bundle replaced by the upload's
   * position; unchanged for a version that was not bundled (or a position the map does not know).
   */
  remap(versionId: string, entry: string, text: string): Promise<string>;
  /** Versions and map bytes held now (for tests and measurements). */
  size(): { versions: number; bytes: number };
}

/** Bounds of the cache of parsed maps. */
export interface StackMapsOptions {
  /** Versions whose maps (or the fact that they have none) are held at most. */
  maxVersions?: number;
  /** Map text held at most, summed over versions (a parsed map takes a few times its text). */
  maxBytes?: number;
}

interface Entry {
  map: TraceMap | null;
  bytes: number;
}

/** Reads a version's compact source map (JSON text), or null when it has none. */
export type LoadMap = (versionId: string) => Promise<string | null>;

/**
 * Creates the cache over `load` (`loadVersionMap` of the repo). Least recently used maps leave
 * first; a map larger than `maxBytes` is used once and not kept. Concurrent misses share one load.
 */
export function createStackMaps(load: LoadMap, options: StackMapsOptions = {}): StackMaps {
  const maxVersions = options.maxVersions ?? 200;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry>>();
  let bytes = 0;

  const evict = () => {
    for (const [id, e] of entries) {
      if (entries.size <= maxVersions && bytes <= maxBytes) break;
      entries.delete(id);
      bytes -= e.bytes;
    }
  };

  const get = async (versionId: string): Promise<Entry> => {
    const hit = entries.get(versionId);
    if (hit) {
      entries.delete(versionId);
      entries.set(versionId, hit);
      return hit;
    }
    const pending = loading.get(versionId);
    if (pending) return await pending;
    const p = (async (): Promise<Entry> => {
      const text = await load(versionId);
      const entry = { map: text === null ? null : parse(text), bytes: text?.length ?? 0 };
      if (entry.bytes <= maxBytes && !entries.has(versionId)) {
        entries.set(versionId, entry);
        bytes += entry.bytes;
        evict();
      }
      return entry;
    })();
    loading.set(versionId, p);
    try {
      return await p;
    } finally {
      loading.delete(versionId);
    }
  };

  return {
    async remap(versionId, entry, text) {
      const at = frameAt(entry);
      if (!at.test(text)) return text;
      let map: TraceMap | null;
      try {
        map = (await get(versionId)).map;
      } catch {
        return text; // the database is away: the trace as the runtime gave it
      }
      return map ? rewrite(text, at, map) : text;
    },
    size: () => ({ versions: entries.size, bytes }),
  };
}

function parse(text: string): TraceMap | null {
  try {
    return new TraceMap(text);
  } catch {
    return null;
  }
}

/** `<entry>:<line>:<column>` where a frame names it: after `(`, `at ` or the start of a line. */
function frameAt(entry: string): RegExp {
  const name = entry.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[\\s(])${name}:(\\d+):(\\d+)(?=$|[\\s)])`, "gm");
}

function rewrite(text: string, at: RegExp, map: TraceMap): string {
  at.lastIndex = 0;
  return text.replace(at, (whole, lead: string, l: string, c: string) => {
    const line = Number(l);
    const column = Math.max(0, Number(c) - 1);
    let pos = originalPositionFor(map, { line, column });
    if (pos.source === null) {
      pos = originalPositionFor(map, { line, column, bias: LEAST_UPPER_BOUND });
    }
    if (pos.source === null || pos.line === null || pos.column === null) return whole;
    return `${lead}${pos.source}:${pos.line}:${pos.column + 1}`;
  });
}
