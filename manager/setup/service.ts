/**
 * @module The setup service: the first owner, created with the one-time setup token printed at
 * start (only while no admin user exists). No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import type { ManagerDeps } from "../deps.ts";
import { tokenHash } from "../tokens.ts";
import { countUsers, type UserRow } from "../users/repo.ts";
import { createFirstOwner } from "./bootstrap.ts";
import { setupTokenValid } from "./repo.ts";

/** What first-run setup needs: the setup token and the first owner's details. */
export interface SetupInput {
  token: string;
  email: string;
  password: string;
  display_name: string;
}

/**
 * Creates the first owner: 403 `invalid_setup_token` for a wrong or expired token, 409
 * `already_set_up` once any admin user exists. The token is the only credential, so there is
 * no principal.
 */
export async function completeSetup(
  deps: Pick<ManagerDeps, "sql" | "passwords" | "log">,
  input: SetupInput,
): Promise<UserRow> {
  if (await countUsers(deps.sql) > 0) throw alreadySetUp();
  const hash = await tokenHash(input.token);
  const passwordHash = await deps.passwords.hash(input.password);
  const user = await deps.sql.begin(async (tx) => {
    if (!await setupTokenValid(tx, hash)) {
      throw new ApiError("invalid_setup_token", "The setup token is wrong or has expired");
    }
    return await createFirstOwner(tx, {
      email: input.email,
      displayName: input.display_name,
      passwordHash,
      via: "setup",
    });
  });
  if (!user) throw alreadySetUp();
  deps.log.info("setup: created the first owner", { email: user.email });
  return user;
}

function alreadySetUp() {
  return new ApiError("already_set_up", "An admin user already exists");
}
