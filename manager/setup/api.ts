/** @module `POST /api/v1/setup`: creates the first owner with the one-time token printed at start. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import type { IdentityDeps } from "../deps.ts";
import { tokenHash } from "../tokens.ts";
import { userFields } from "../users/api.ts";
import { countUsers } from "../users/repo.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { userSchema } from "../openapi_schemas.ts";
import { jsonBody } from "../validate.ts";
import { createFirstOwner } from "./bootstrap.ts";
import { setupTokenValid } from "./repo.ts";

const setup = z.strictObject({
  token: z.string().min(1).max(200),
  email: userFields.email,
  password: userFields.password,
  display_name: userFields.display_name.default(""),
});

/** Binds `/setup` under `/api/v1`. */
export function bindSetupApi(deps: IdentityDeps): Hono {
  const api = new Hono();
  api.post("/", async (c) => {
    const input = await jsonBody(c, setup);
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
    return c.json({ user }, 201);
  });
  return api;
}

function alreadySetUp() {
  return new ApiError("already_set_up", "An admin user already exists");
}

/** The OpenAPI description of `/setup`. */
export const setupDocs: EndpointDoc[] = [
  {
    method: "post",
    path: "/api/v1/setup",
    summary: "Create the first owner with the one-time setup token printed at start",
    action: "setup_token",
    tag: "setup",
    body: setup,
    responses: {
      201: { description: "The first owner", schema: z.object({ user: userSchema }) },
      403: { description: "`invalid_setup_token`: wrong or expired" },
      409: { description: "`already_set_up`: an admin user already exists" },
    },
  },
];
