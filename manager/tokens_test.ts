import assert from "node:assert/strict";
import { digestsEqual, newApiKey, newToken, parseApiKey, tokenHash } from "./tokens.ts";

Deno.test("parseApiKey() - round-trips new keys and rejects other shapes", () => {
  const k = newApiKey();
  assert.deepEqual(parseApiKey(k.key), { prefix: k.prefix, secret: k.secret });
  for (const bad of ["", "pc_", "pc_abc_def", `xx_${k.prefix}_${k.secret}`, k.key + "0"]) {
    assert.equal(parseApiKey(bad), null, bad);
  }
});

Deno.test("newToken() - 32 random bytes, hashed to a stable hex digest", async () => {
  const a = newToken();
  assert.equal(a.length, 43);
  assert.notEqual(a, newToken());
  assert.equal(await tokenHash(a), await tokenHash(a));
  assert.ok(digestsEqual(await tokenHash(a), await tokenHash(a)));
  assert.ok(!digestsEqual(await tokenHash(a), await tokenHash(newToken())));
  assert.ok(!digestsEqual("ab", "abc"));
});
