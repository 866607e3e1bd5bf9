/** @module Caches immutable script version sources by version id, least recently used first out. */
import type { Sql } from "../common/db.ts";
import { RecentMap } from "../common/recent_map.ts";
import { loadVersionCode } from "./repo.ts";

/** What a version runs and its entry file name (null: `main.ts`, named in stack traces). */
export interface VersionCode {
  source: string;
  entry: string | null;
}

/** Looks up a version's source, hitting the database only on a miss. */
export interface SourceCache {
  get(versionId: string): Promise<VersionCode | null>;
}

/** Creates a cache holding at most `maxEntries` sources; concurrent misses share one query. */
export function createSourceCache(sql: Sql, maxEntries = 1000): SourceCache {
  const entries = new RecentMap<string, Promise<VersionCode | null>>();
  return {
    get(versionId) {
      const hit = entries.touch(versionId);
      if (hit) return hit;
      const loading = loadVersionCode(sql, versionId);
      entries.set(versionId, loading);
      loading.then((s) => s === null && entries.delete(versionId), () => entries.delete(versionId));
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return loading;
    },
  };
}
