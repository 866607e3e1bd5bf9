/** @module The in-memory routing snapshot: rebuilt from the database on change and on notification. */
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { SecretKeys } from "../common/secret_key.ts";
import { buildHostTable, type HostTable } from "./host_table.ts";
import { loadRoutingData, type ScriptRow, type StoredScriptRow } from "./repo.ts";
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

/** Builds a snapshot from loaded rows (pure); scripts carry their vars and opened secrets. */
export function buildSnapshot(
  data: Omit<Awaited<ReturnType<typeof loadRoutingData>>, "scripts"> & { scripts: ScriptRow[] },
): RoutingSnapshot {
  return {
    hosts: buildHostTable(data.claims),
    routes: buildRouteTable(data.routes),
    apps: new Map(data.apps.map((a) => [a.id, a])),
    scripts: new Map(
      data.scripts.map((s) => [s.id, {
        id: s.id,
        appId: s.appId,
        name: s.name,
        activeVersionId: s.activeVersionId,
        env: s.env,
        policy: s.policy,
      }]),
    ),
    loadedAt: Date.now(),
  };
}

/**
 * Loads the first snapshot and, when `listen` is set (PostgreSQL), subscribes to
 * `picloud_config` so changes made by other nodes are picked up; a reconnect reloads too.
 */
export async function createRouting(
  sql: Sql,
  opts: { listen: boolean; log: Logger; secrets?: SecretKeys },
): Promise<Routing> {
  const load = async () => {
    const data = await loadRoutingData(sql);
    return buildSnapshot({ ...data, scripts: await openSecrets(data.scripts, opts) });
  };
  let snapshot = await load();
  let running: Promise<void> | undefined;
  let again = false;

  const listeners = new Set<() => void>();
  const loadOnce = async () => {
    snapshot = await load();
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

/**
 * Merges each script's decrypted secrets over its vars (`ctx.env`). A secret that cannot be
 * opened (no key, wrong key, tampered) is logged by name and left out; loading never fails.
 */
export async function openSecrets(
  scripts: StoredScriptRow[],
  opts: { log: Logger; secrets?: SecretKeys },
): Promise<ScriptRow[]> {
  const needed = scripts.some((s) => Object.keys(s.secrets ?? {}).length > 0);
  let box = null;
  if (needed) {
    try {
      box = await opts.secrets?.box() ?? null;
    } catch (err) {
      opts.log.error("the secret key could not be loaded", { err: String(err) });
    }
  }
  return await Promise.all(scripts.map(async ({ secrets, ...s }) => {
    const names = Object.keys(secrets ?? {});
    if (names.length === 0) return s;
    const env = { ...s.env };
    for (const name of names) {
      try {
        if (!box) throw new Error("no secret key is configured");
        env[name] = await box.open(secrets[name], s.id);
      } catch (err) {
        opts.log.error("a script secret could not be decrypted; it is left out of ctx.env", {
          scriptId: s.id,
          name,
          reason: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return { ...s, env };
  }));
}
