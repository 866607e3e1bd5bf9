/** @module Tells live log tails that an app has new execution log rows, on this node and others. */
import type { Sql } from "../common/db.ts";

/** The channel new-row announcements travel on between nodes. */
export const LOGS_CHANNEL = "picloud_logs";

/** Fan-out of "app X has new log rows"; subscribers then read rows after their cursor. */
export interface LogFeed {
  /** Announces new rows for these apps (locally, and via NOTIFY to other nodes). */
  publish(appIds: Iterable<string>): Promise<void>;
  /** Calls `fn` whenever the app has new rows; returns an unsubscribe. */
  subscribe(appId: string, fn: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Creates the feed. With `listen` (PostgreSQL), announcements go through NOTIFY so a tail on
 * one node sees rows written by another; the listener connection is opened only while someone
 * is subscribed, so an idle platform holds none.
 */
export function createLogFeed(sql: Sql, opts: { listen: boolean }): LogFeed {
  const subs = new Map<string, Set<() => void>>();
  let sub: Promise<{ unlisten(): Promise<void> }> | undefined;

  const deliver = (appId: string) => {
    for (const fn of subs.get(appId) ?? []) fn();
  };
  const ensureListening = () => {
    if (!opts.listen || sub) return;
    sub = sql.listen(LOGS_CHANNEL, (payload) => {
      for (const id of payload.split(",")) deliver(id);
    });
    sub.catch(() => sub = undefined);
  };
  const stopListening = async () => {
    const s = sub;
    sub = undefined;
    if (s) await (await s).unlisten().catch(() => {});
  };

  return {
    async publish(appIds) {
      const ids = [...new Set(appIds)].filter((id) => subs.has(id) || opts.listen);
      if (ids.length === 0) return;
      if (opts.listen) {
        // The NOTIFY comes back to this node's listener too, if it has one.
        await sql`select pg_notify(${LOGS_CHANNEL}, ${ids.join(",")})`;
        if (!sub) ids.forEach(deliver);
      } else ids.forEach(deliver);
    },
    subscribe(appId, fn) {
      let set = subs.get(appId);
      if (!set) subs.set(appId, set = new Set());
      set.add(fn);
      ensureListening();
      return () => {
        set.delete(fn);
        if (set.size === 0) subs.delete(appId);
        if (subs.size === 0) void stopListening();
      };
    },
    async close() {
      subs.clear();
      await stopListening();
    },
  };
}
