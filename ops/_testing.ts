/** @module Test helpers of backups: a platform config on an embedded data directory. */
import { type Config, parseConfig } from "../common/config.ts";
import { denoCacheDir } from "../testing/packages.ts";

/** The owner every test platform of this folder bootstraps. */
export const OWNER = { email: "owner@example.com", password: "owner-password-1" };

/** A platform config on an embedded data directory (never DATABASE_URL, whatever the run). */
export function embeddedConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return parseConfig({
    PICLOUD_DATA_DIR: dataDir,
    PICLOUD_BOOTSTRAP_EMAIL: OWNER.email,
    PICLOUD_BOOTSTRAP_PASSWORD: OWNER.password,
    PICLOUD_ARGON2_MEMORY_KIB: "1024",
    PICLOUD_ARGON2_ITERATIONS: "1",
    PICLOUD_LOG_FLUSH_MS: "20",
    PICLOUD_SPARE_EXECUTOR: "false",
    PICLOUD_PACKAGE_CACHE_DIR: denoCacheDir(),
    ...env,
  });
}
