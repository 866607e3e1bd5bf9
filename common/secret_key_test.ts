import assert from "node:assert/strict";
import { createSecretKeys, SECRET_KEY_FILE } from "./secret_key.ts";
import { generateSecretKey } from "./secrets.ts";

Deno.test("createSecretKeys() - configured key, generated key file, or disabled", async (t) => {
  await t.step("a configured key is used", async () => {
    const keys = createSecretKeys({ key: generateSecretKey(), dataDir: undefined });
    const box = await keys.box();
    assert.ok(box);
    assert.equal(await box.open(await box.seal("x", "c"), "c"), "x");
  });
  await t.step("PostgreSQL without a key: disabled", async () => {
    assert.equal(await createSecretKeys({ key: undefined, dataDir: undefined }).box(), null);
  });
  await t.step("embedded: generated once with mode 0600, only on create", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const keys = createSecretKeys({ key: undefined, dataDir: `${dir}/data` });
      assert.equal(await keys.box(), null);
      const [a, b] = await Promise.all([keys.box({ create: true }), keys.box({ create: true })]);
      const sealed = await a!.seal("v", "s");
      assert.equal(await b!.open(sealed, "s"), "v");
      const info = await Deno.stat(`${dir}/data/${SECRET_KEY_FILE}`);
      assert.equal(info.mode! & 0o777, 0o600);
      const again = createSecretKeys({ key: undefined, dataDir: `${dir}/data` });
      assert.equal(await (await again.box())!.open(sealed, "s"), "v");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
