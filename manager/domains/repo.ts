/** @module SQL for domain claims: `shape_key` is unique, so equivalent claims collide at insert. */
import type { Sql, Tx } from "../../common/db.ts";

/** A domain claim as returned by the API. */
export interface DomainRow {
  id: string;
  app_id: string;
  pattern: string;
  kind: "exact" | "wildcard" | "param";
  created_at: Date;
}

/** The app's claims, by pattern. */
export async function listDomains(sql: Sql, appId: string): Promise<DomainRow[]> {
  return [
    ...await sql<DomainRow[]>`
      select id, app_id, pattern, kind, created_at from app_domains
      where app_id = ${appId} order by pattern`,
  ];
}

/** Claims a pattern; null when an equivalent claim (same shape key) exists in any app. */
export async function tryInsertDomain(
  tx: Tx,
  d: { appId: string; pattern: string; kind: DomainRow["kind"]; shapeKey: string },
): Promise<DomainRow | null> {
  const [row] = await tx<DomainRow[]>`
    insert into app_domains (app_id, pattern, kind, shape_key)
    values (${d.appId}, ${d.pattern}, ${d.kind}, ${d.shapeKey})
    on conflict (shape_key) do nothing
    returning id, app_id, pattern, kind, created_at`;
  return row ?? null;
}

/** Who holds a shape key: the app and its pattern. */
export async function domainHolder(
  sql: Sql | Tx,
  shapeKey: string,
): Promise<{ app_id: string; app_slug: string; pattern: string } | null> {
  const [row] = await sql<{ app_id: string; app_slug: string; pattern: string }[]>`
    select d.app_id, a.slug as app_slug, d.pattern
    from app_domains d join apps a on a.id = d.app_id where d.shape_key = ${shapeKey}`;
  return row ?? null;
}

/** Releases one of the app's claims; null when it has no such claim. */
export async function deleteDomain(
  tx: Tx,
  d: { appId: string; id: string },
): Promise<DomainRow | null> {
  const [row] = await tx<DomainRow[]>`
    delete from app_domains where id = ${d.id} and app_id = ${d.appId}
    returning id, app_id, pattern, kind, created_at`;
  return row ?? null;
}
