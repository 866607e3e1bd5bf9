import assert from "node:assert/strict";
import { DEVICE_TOKEN_TTL_MS, issueDeviceToken, verifyDeviceToken } from "./device_token.ts";

Deno.test("verifyDeviceToken() - valid only for its user, password hash and lifetime", async () => {
  const user = { id: "u1", passwordHash: "$argon2id$hash-1" };
  const token = await issueDeviceToken(user, 1_000_000);
  const id = await verifyDeviceToken(token, user, 1_000_000);
  assert.ok(id);
  assert.equal(await verifyDeviceToken(token, { ...user, id: "u2" }, 1_000_000), null);
  assert.equal(await verifyDeviceToken(token, { ...user, passwordHash: "other" }, 1_000_000), null);
  assert.equal(await verifyDeviceToken(token, { ...user, passwordHash: null }, 1_000_000), null);
  assert.equal(await verifyDeviceToken(token, user, 1_000_000 + DEVICE_TOKEN_TTL_MS), null);
  const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  assert.equal(await verifyDeviceToken(tampered, user, 1_000_000), null);
  assert.equal(await verifyDeviceToken("garbage", user, 1_000_000), null);
  assert.equal(await verifyDeviceToken(undefined, user, 1_000_000), null);
});
