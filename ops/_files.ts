/** @module File helpers of backups and restores: atomic writes readable by the owner alone. */

/**
 * Writes `data` to `path` atomically with mode 0600: a temporary file beside it (created with
 * that mode, so the bytes are never readable by others), synced, checked, then renamed over
 * `path`.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  /** Checks the written temporary file before it replaces `path` (throws to keep `path` as it was). */
  verify?: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    if (data instanceof Uint8Array) {
      let done = 0;
      while (done < data.byteLength) done += await file.write(data.subarray(done));
    } else {
      await data.pipeTo(file.writable, { preventClose: true });
    }
    // The umask cannot widen 0600, but an existing ACL default could: set it explicitly.
    await Deno.chmod(tmp, 0o600);
    await file.sync();
    file.close();
    await verify?.(tmp);
    await Deno.rename(tmp, path);
  } catch (err) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
