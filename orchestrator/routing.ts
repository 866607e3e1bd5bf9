/** @module The in-memory routing snapshot: rebuilt from the database on change and on notification. */
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import { buildHostTable, type HostTable } from "./host_table.ts";
import { loadRoutingData, type ScriptRow } from "./repo.ts";
import { buildRouteTable, type RouteTable } from "./route_table.ts";

/** An immutable view of routing state; a reload swaps the whole object. */
export interface RoutingSnapshot {
  hosts: HostTable;
  routes: RouteTable;
  apps: Map<string, { id: string; slug: string }>;
  scripts: Map<string, ScriptRow>;
  /** Epoch ms when it was loaded. */
  loadedAt: number;
}

/** Holds the current snapshot and refreshes it. */
export interface Routing {
  current(): RoutingSnapshot;
  /** Reloads from the database; concurrent calls coalesce into at most one extra load. */
  reload(): Promise<void>;
  /** Calls `fn` after every reload (for example to re-arm the scheduler); returns an unsubscribe. */
  onChange(fn: () => void): () => void;
  /** Tells every node (including this one) that routing changed. */
  notifyChanged(): Promise<void>;
  close(): Promise<void>;
}

/** The channel config changes are announced on. */
export const CONFIG_CHANNEL = "picloud_config";

/** Builds a snapshot from loaded rows (pure). */
export function buildSnapshot(data: Awaited<ReturnType<typeof loadRoutingData>>): RoutingSnapshot {
  return {
    hosts: buildHostTable(data.claims),
    routes: buildRouteTable(data.routes),
    apps: new Map(data.apps.map((a) => [a.id, a])),
    scripts: new Map(data.scripts.map((s) => [s.id, s])),
    loadedAt: Date.now(),
  };
}

/**
 * Loads the first snapshot and, when `listen` is set (PostgreSQL), subscribes to
 * `picloud_config` so changes made by other nodes are picked up; a reconnect reloads too.
 */
export async function createRouting(
  sql: Sql,
  opts: { listen: boolean; log: Logger },
): Promise<Routing> {
  let snapshot = buildSnapshot(await loadRoutingData(sql));
  let running: Promise<void> | undefined;
  let again = false;

  const listeners = new Set<() => void>();
  const loadOnce = async () => {
    snapshot = buildSnapshot(await loadRoutingData(sql));
    for (const fn of listeners) fn();
  };
  const reload = async (): Promise<void> => {
    if (running) {
      again = true;
      return await running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await loadOnce();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return await running;
  };
  const reloadLogged = () =>
    reload().catch((err) => opts.log.error("routing reload failed", { err }));

  let unlisten: (() => Promise<void>) | undefined;
  if (opts.listen) {
    const sub = await sql.listen(CONFIG_CHANNEL, () => void reloadLogged(), () => {
      void reloadLogged();
    });
    unlisten = () => sub.unlisten();
  }

  return {
    current: () => snapshot,
    reload,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async notifyChanged() {
      if (opts.listen) await sql`select pg_notify(${CONFIG_CHANNEL}, '')`;
      await reload();
    },
    async close() {
      await unlisten?.();
    },
  };
}
