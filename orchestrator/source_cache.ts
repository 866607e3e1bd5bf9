/** @module Caches immutable script version sources by version id, least recently used first out. */
import type { Sql } from "../common/db.ts";
import { loadVersionSource } from "./repo.ts";

/** Looks up a version's source, hitting the database only on a miss. */
export interface SourceCache {
  get(versionId: string): Promise<string | null>;
}

/** Creates a cache holding at most `maxEntries` sources; concurrent misses share one query. */
export function createSourceCache(sql: Sql, maxEntries = 1000): SourceCache {
  const entries = new Map<string, Promise<string | null>>();
  return {
    get(versionId) {
      const hit = entries.get(versionId);
      if (hit) {
        entries.delete(versionId);
        entries.set(versionId, hit);
        return hit;
      }
      const loading = loadVersionSource(sql, versionId);
      entries.set(versionId, loading);
      loading.then((s) => s === null && entries.delete(versionId), () => entries.delete(versionId));
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return loading;
    },
  };
}
