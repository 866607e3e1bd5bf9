/** @module SQL for apps. */
import type { Sql, Tx } from "../../common/db.ts";

/** An app as returned by the API. */
export interface AppRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds an app by id or slug. */
export async function findApp(sql: Sql | Tx, idOrSlug: string): Promise<AppRow | null> {
  const rows = uuidRe.test(idOrSlug)
    ? await sql<AppRow[]>`select id, slug, name, created_at from apps where id = ${idOrSlug}`
    : await sql<AppRow[]>`select id, slug, name, created_at from apps where slug = ${idOrSlug}`;
  return rows[0] ?? null;
}

/** Apps by slug: all of them, or those with the given ids. */
export async function listApps(sql: Sql, ids: string[] | null): Promise<AppRow[]> {
  return [
    ...await sql<AppRow[]>`
      select id, slug, name, created_at from apps
      where ${ids === null ? sql`true` : sql`id = any(${ids}::uuid[])`}
      order by slug`,
  ];
}

/** An app's hold on a slug: its live slug, or an old slug kept as a redirect. */
export interface SlugHolder {
  kind: "live" | "history";
  app: { id: string; slug: string; name: string };
}

/**
 * Serialises slug changes (create, rename, takeover) across connections and nodes for the rest
 * of the transaction, so the checks below and the write that follows them agree.
 */
export async function lockSlugs(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('picloud.app_slugs'))`;
}

/** Who holds `slug`: a live app first, else the app whose slug history keeps it. */
export async function slugHolder(sql: Sql | Tx, slug: string): Promise<SlugHolder | null> {
  const [row] = await sql<(SlugHolder["app"] & { kind: SlugHolder["kind"] })[]>`
    select 'live' as kind, id, slug, name from apps where slug = ${slug}
    union all
    select 'history', a.id, a.slug, a.name
    from app_slug_history h join apps a on a.id = h.app_id where h.slug = ${slug}
    order by kind desc limit 1`;
  return row ? { kind: row.kind, app: { id: row.id, slug: row.slug, name: row.name } } : null;
}

/** Drops a slug from the history (a takeover, or an app taking back its own old slug). */
export async function deleteSlugHistory(tx: Tx, slug: string): Promise<void> {
  await tx`delete from app_slug_history where slug = ${slug}`;
}

/** Creates an app; call `lockSlugs` and check the slug first. */
export async function insertApp(tx: Tx, a: { slug: string; name: string }): Promise<AppRow> {
  const [row] = await tx<AppRow[]>`
    insert into apps (slug, name) values (${a.slug}, ${a.name})
    returning id, slug, name, created_at`;
  return row;
}

/** Locks and returns an app by id inside a transaction; null when it is gone. */
export async function lockApp(tx: Tx, id: string): Promise<AppRow | null> {
  const [row] = await tx<AppRow[]>`
    select id, slug, name, created_at from apps where id = ${id} for update`;
  return row ?? null;
}

/**
 * Sets an app's slug and name. A changed slug leaves the old one in the history, pointing at
 * this app, so requests for it redirect until another app claims it.
 */
export async function updateApp(
  tx: Tx,
  before: AppRow,
  next: { slug: string; name: string },
): Promise<AppRow> {
  const [row] = await tx<AppRow[]>`
    update apps set slug = ${next.slug}, name = ${next.name}, updated_at = now()
    where id = ${before.id} returning id, slug, name, created_at`;
  if (next.slug !== before.slug) {
    await tx`
      insert into app_slug_history (slug, app_id) values (${before.slug}, ${before.id})
      on conflict (slug) do update set app_id = excluded.app_id, created_at = now()`;
  }
  return row;
}

/** Deletes an app; scripts, routes, domains, schedules, logs and history go with it (FK cascades). */
export async function deleteApp(tx: Tx, id: string): Promise<AppRow | null> {
  const [row] = await tx<AppRow[]>`
    delete from apps where id = ${id} returning id, slug, name, created_at`;
  return row ?? null;
}

/** The app an old slug redirects to: only while no live app has that slug. */
export async function findSlugRedirect(
  sql: Sql,
  slug: string,
): Promise<{ id: string; slug: string } | null> {
  const [row] = await sql<{ id: string; slug: string }[]>`
    select a.id, a.slug from app_slug_history h join apps a on a.id = h.app_id
    where h.slug = ${slug} and not exists (select 1 from apps where slug = ${slug})`;
  return row ?? null;
}

/** The app's old slugs, newest first. */
export async function listSlugHistory(sql: Sql, appId: string): Promise<string[]> {
  const rows = await sql<{ slug: string }[]>`
    select slug from app_slug_history where app_id = ${appId} order by created_at desc, slug`;
  return rows.map((r) => r.slug);
}
