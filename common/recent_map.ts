/**
 * @module A `Map` kept in least-recently-used order: `touch` moves a key last (its eviction
 * candidates are the first keys), and does nothing for the key already last, so a hot key costs
 * no delete and re-insert (nor the table churn they allocate) on every use.
 */

/** A `Map` whose `touch(key)` marks a key most recently used (for values that are never undefined). */
export class RecentMap<K, V> extends Map<K, V> {
  #last: K | undefined;

  constructor() {
    // No initial entries: the Map constructor would call `set` before `#last` exists.
    super();
  }

  /** Adds or replaces; a new key goes last (Map order), a replaced one keeps its place. */
  override set(key: K, value: V): this {
    if (!super.has(key)) this.#last = key;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    if (key === this.#last) this.#last = undefined;
    return super.delete(key);
  }

  override clear(): void {
    this.#last = undefined;
    super.clear();
  }

  /** The value of `key`, which becomes the most recently used; undefined if absent. */
  touch(key: K): V | undefined {
    const value = super.get(key);
    if (value === undefined || key === this.#last) return value;
    super.delete(key);
    super.set(key, value);
    this.#last = key;
    return value;
  }
}
