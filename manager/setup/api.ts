/** @module `POST /api/v1/setup`: creates the first owner with the one-time token printed at start. */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { userSchema } from "../openapi_schemas.ts";
import { userFields } from "../users/api.ts";
import { completeSetup } from "./service.ts";

/** `POST /setup`: the token printed at start and the first owner's details. */
const setupBody = z.strictObject({
  token: z.string().min(1).max(200),
  email: userFields.email,
  password: userFields.password,
  display_name: userFields.display_name.default(""),
});

/** Binds `/setup` under `/api/v1`: parse, call the service, respond. */
export function bindSetupApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "post",
    path: "",
    summary: "Create the first owner with the one-time setup token printed at start",
    action: "setup_token",
    tag: "setup",
    body: setupBody,
    responses: {
      201: { description: "The first owner", schema: z.object({ user: userSchema }) },
      403: { description: "`invalid_setup_token`: wrong or expired" },
      409: { description: "`already_set_up`: an admin user already exists" },
    },
  }, async ({ body }, c) => c.json({ user: await completeSetup(deps, body) }, 201));
}
