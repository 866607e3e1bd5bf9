import assert from "node:assert/strict";
import { createPasswordHasher, needsRehash } from "./passwords.ts";

const params = { memoryKib: 1024, iterations: 1, parallelism: 1 };

Deno.test("createPasswordHasher() - hashes with Argon2id and verifies", async () => {
  const h = createPasswordHasher(params);
  const stored = await h.hash("correct horse");
  assert.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  assert.deepEqual(await h.verify(stored, "correct horse"), { ok: true, needsRehash: false });
  assert.deepEqual(await h.verify(stored, "wrong"), { ok: false, needsRehash: false });
  assert.deepEqual(await h.verify(null, "anything"), { ok: false, needsRehash: false });
  assert.deepEqual(await h.verify("garbage", "x"), { ok: false, needsRehash: false });
});

Deno.test("needsRehash() - when the parameters change", async (t) => {
  const stored = await createPasswordHasher(params).hash("pw");
  await t.step("same parameters", () => assert.equal(needsRehash(stored, params), false));
  await t.step("more memory", () => {
    assert.equal(needsRehash(stored, { ...params, memoryKib: 2048 }), true);
  });
  await t.step("not argon2id", () => {
    assert.equal(needsRehash(stored.replace("argon2id", "argon2i"), params), true);
  });
  const h2 = createPasswordHasher({ ...params, iterations: 2 });
  assert.deepEqual(await h2.verify(stored, "pw"), { ok: true, needsRehash: true });
});
