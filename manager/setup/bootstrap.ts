/**
 * @module First owner at start-up: from `PICLOUD_BOOTSTRAP_EMAIL`/`_PASSWORD` when no admin user
 * exists (afterwards the variables are inert and said to be so once), otherwise a one-time setup
 * URL printed to the log.
 */
import type { Tx } from "../../common/db.ts";
import { recordChange } from "../audit/service.ts";
import type { ManagerDeps } from "../deps.ts";
import { newToken, tokenHash } from "../tokens.ts";
import { countUsers, insertUser, type UserRow } from "../users/repo.ts";
import { deleteSetupTokens, insertSetupToken, lockSetup } from "./repo.ts";

/** What start-up did about the first owner. */
export type BootstrapResult =
  | { kind: "exists" }
  | { kind: "bootstrapped"; user: UserRow }
  | { kind: "setup_url"; url: string };

/** Creates the first owner when the instance has none and the env vars are set, in `tx`. */
export async function createFirstOwner(
  tx: Tx,
  u: { email: string; displayName: string; passwordHash: string; via: "bootstrap" | "setup" },
): Promise<UserRow | null> {
  await lockSetup(tx);
  if (await countUsers(tx) > 0) return null;
  const user = await insertUser(tx, { ...u, instanceRole: "owner" });
  if (!user) return null;
  await deleteSetupTokens(tx);
  await recordChange(tx, null, {
    action: `user.${u.via}`,
    resourceId: user.id,
    appId: null,
    before: null,
    after: user,
  });
  return user;
}

/** Runs once per start, after migrations. */
export async function bootstrapIdentity(deps: ManagerDeps): Promise<BootstrapResult> {
  const { config, log, sql } = deps;
  const { bootstrapEmail: email, bootstrapPassword: password } = config.auth;
  if (await countUsers(sql) > 0) {
    if (email || password) {
      log.info("PICLOUD_BOOTSTRAP_EMAIL/PICLOUD_BOOTSTRAP_PASSWORD are inert: admin users exist");
    }
    return { kind: "exists" };
  }
  if (email && password) {
    const passwordHash = await deps.passwords.hash(password);
    const user = await sql.begin((tx) =>
      createFirstOwner(tx, { email, displayName: "", passwordHash, via: "bootstrap" })
    );
    if (user) {
      log.info("bootstrap: created the first owner from PICLOUD_BOOTSTRAP_EMAIL", { email });
      return { kind: "bootstrapped", user };
    }
    return { kind: "exists" };
  }
  if (email || password) {
    log.warn("Set both PICLOUD_BOOTSTRAP_EMAIL and PICLOUD_BOOTSTRAP_PASSWORD to bootstrap");
  }
  const token = newToken();
  await insertSetupToken(sql, {
    tokenHash: await tokenHash(token),
    ttlMs: config.auth.setupTokenTtlMs,
  });
  const url = `http://localhost:${config.console.port}/admin/setup?token=${token}`;
  const minutes = Math.round(config.auth.setupTokenTtlMs / 60_000);
  log.warn(
    `No admin user yet. Create the owner within ${minutes} min: open ${url} or POST ` +
      `{"token","email","password"} to /api/v1/setup`,
  );
  return { kind: "setup_url", url };
}
