/**
 * @module Slug rules and the claim of a slug by an app: live slugs are unique, old slugs stay in
 * the history as redirects until another app takes them over with `force` (check, then confirm).
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import type { Tx } from "../../common/db.ts";
import { effectiveAppRole, type Principal } from "../authz.ts";
import { deleteSlugHistory, lockSlugs, type SlugHolder, slugHolder } from "./repo.ts";

/** DNS-label-safe: 1–63 of `a-z0-9-`, no leading or trailing hyphen. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** UUID-shaped text: `{id_or_slug}` lookups read it as an id, so it can never be a slug. */
export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The slug of an app, as every endpoint validates it (create, rename, check). */
export const slugSchema = z.string().regex(
  SLUG_PATTERN,
  "Use 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
).refine((s) => !UUID_SHAPE.test(s), "A slug cannot have the shape of a UUID (ids use that)");

/** What `slug:check` answers: what a rename of `appId` to the slug would meet. */
export type SlugStatus = "available" | "taken" | "held_by_history";

/** The status of `slug` for app `appId` (null: a new app) given its current holder. */
export function slugStatus(holder: SlugHolder | null, appId: string | null): SlugStatus {
  if (holder === null || holder.app.id === appId) return "available";
  return holder.kind === "live" ? "taken" : "held_by_history";
}

/** The holder as the caller may see it: only apps visible to the caller are named. */
export function visibleHolder(p: Principal, holder: SlugHolder | null) {
  if (holder === null || effectiveAppRole(p, holder.app.id) === null) return undefined;
  return holder.app;
}

/**
 * Makes `slug` free for app `appId` (null: an app being created) inside `tx`: takes the slug
 * lock, refuses a live slug (409 `slug_taken`) and another app's old slug unless `force`
 * (409 `slug_held`); with `force`, or for the app's own old slug, drops the history row.
 */
export async function takeSlug(
  tx: Tx,
  p: Principal,
  claim: { appId: string | null; slug: string; force: boolean },
): Promise<void> {
  await lockSlugs(tx);
  const holder = await slugHolder(tx, claim.slug);
  const status = slugStatus(holder, claim.appId);
  const held_by = visibleHolder(p, holder);
  if (status === "taken") {
    throw new ApiError("slug_taken", `The slug ${claim.slug} is in use by another app`, {
      slug: claim.slug,
      ...(held_by ? { held_by } : {}),
    });
  }
  if (status === "held_by_history" && !claim.force) {
    throw new ApiError(
      "slug_held",
      `The slug ${claim.slug} redirects to another app; send force: true to take it over`,
      { slug: claim.slug, ...(held_by ? { held_by } : {}) },
    );
  }
  if (holder?.kind === "history") await deleteSlugHistory(tx, claim.slug);
}
