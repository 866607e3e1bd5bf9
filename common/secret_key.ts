/**
 * @module Where the key that encrypts script secrets comes from: `PICLOUD_SECRET_KEY`, or in
 * embedded mode a key file generated on first need; with PostgreSQL and no key, secrets are off.
 */
import { createSecretBox, generateSecretKey, type SecretBox } from "./secrets.ts";

/** The name of the generated key file inside the data directory. */
export const SECRET_KEY_FILE = "secret.key";

/** Resolves the secret box lazily, once. */
export interface SecretKeys {
  /**
   * The box, or null when secrets are disabled (PostgreSQL without `PICLOUD_SECRET_KEY`). With
   * `create`, embedded mode generates the key file if it does not exist yet.
   */
  box(opts?: { create?: boolean }): Promise<SecretBox | null>;
}

/** Options: the configured key, and the data directory when the database is embedded. */
export interface SecretKeysOptions {
  key: string | undefined;
  /** Set only in embedded mode: where `secret.key` lives. */
  dataDir: string | undefined;
}

/** Creates the provider; nothing is read or written until a secret is first needed. */
export function createSecretKeys(opts: SecretKeysOptions): SecretKeys {
  let box: Promise<SecretBox> | undefined;
  const fromFile = async (create: boolean): Promise<SecretBox | null> => {
    const path = `${opts.dataDir}/${SECRET_KEY_FILE}`;
    try {
      return await createSecretBox(await Deno.readTextFile(path));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || !create) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
    }
    await Deno.mkdir(opts.dataDir!, { recursive: true });
    // The key is written whole to a file of its own, then linked into place: the link either
    // creates the key file complete or fails because another creator's is there, so two racing
    // creators agree on one key and neither ever reads a half-written file.
    const draft = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(draft, generateSecretKey() + "\n", { createNew: true, mode: 0o600 });
    try {
      await Deno.chmod(draft, 0o600);
      await Deno.link(draft, path);
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    } finally {
      await Deno.remove(draft).catch(() => {});
    }
    return await createSecretBox(await Deno.readTextFile(path));
  };
  return {
    async box({ create = false } = {}) {
      if (opts.key !== undefined) return await (box ??= createSecretBox(opts.key));
      if (opts.dataDir === undefined) return null;
      if (box) return await box;
      const made = await fromFile(create);
      if (made) box = Promise.resolve(made);
      return made;
    },
  };
}
