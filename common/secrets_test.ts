import assert from "node:assert/strict";
import { createSecretBox, generateSecretKey, SecretDecryptError } from "./secrets.ts";

Deno.test("createSecretBox() - round-trips, binds the context, rejects another key", async () => {
  const box = await createSecretBox(generateSecretKey());
  const sealed = await box.seal("s3cr3t value ✓", "script-1");
  assert.ok(!sealed.includes("s3cr3t"));
  assert.notEqual(sealed, await box.seal("s3cr3t value ✓", "script-1"), "random IV");
  assert.equal(await box.open(sealed, "script-1"), "s3cr3t value ✓");
  await assert.rejects(() => box.open(sealed, "script-2"), SecretDecryptError);
  const other = await createSecretBox(generateSecretKey());
  await assert.rejects(() => other.open(sealed, "script-1"), SecretDecryptError);
  await assert.rejects(() => box.open("v1:bad", "script-1"), SecretDecryptError);
});

Deno.test("createSecretBox() - rejects keys that are not 32 bytes", async () => {
  await assert.rejects(() => createSecretBox(btoa("short")), /32 bytes/);
});
