import assert from "node:assert/strict";
import { createFailureLimiter, createLoginThrottle } from "./rate_limit.ts";

Deno.test("createFailureLimiter() - blocks after maxFailures until the window ends", () => {
  const l = createFailureLimiter({ maxFailures: 3, windowMs: 1000 });
  for (let i = 0; i < 3; i++) {
    assert.equal(l.blockedForMs("a", 0), 0);
    l.fail("a", 0);
  }
  assert.equal(l.blockedForMs("a", 100), 900);
  assert.equal(l.blockedForMs("b", 100), 0);
  assert.equal(l.blockedForMs("a", 1000), 0);
  l.fail("a", 1000);
  assert.equal(l.blockedForMs("a", 1001), 0);
  l.reset("a");
  assert.equal(l.blockedForMs("a", 1001), 0);
});

Deno.test("createFailureLimiter() - holds at most maxKeys keys", () => {
  const l = createFailureLimiter({ maxFailures: 1, windowMs: 1000, maxKeys: 2 });
  l.fail("a", 0);
  l.fail("b", 0);
  l.fail("c", 0);
  assert.equal(l.blockedForMs("c", 1), 999);
  assert.equal(l.blockedForMs("a", 1), 0);
});

Deno.test("createLoginThrottle() - a known device is counted apart from everyone else", () => {
  const limiter = () => createFailureLimiter({ maxFailures: 2, windowMs: 1000 });
  const th = createLoginThrottle({
    perAccount: limiter(),
    perAddr: limiter(),
    perDevice: limiter(),
  });
  const stranger = { account: "a", addr: "1.1.1.1", device: null };
  const device = { account: "a", addr: "1.1.1.1", device: "d1" };
  th.fail(stranger, 0);
  th.fail(stranger, 0);
  assert.equal(th.waitMs(stranger, 10), 990);
  assert.equal(th.waitMs(device, 10), 0);
  th.fail(device, 10);
  th.fail(device, 10);
  assert.equal(th.waitMs(device, 20), 990);
  assert.equal(th.waitMs({ ...device, device: "d2" }, 20), 0);
  th.succeed({ ...device, device: "d1" });
  assert.equal(th.waitMs(device, 20), 0);
  assert.equal(th.waitMs(stranger, 20), 980, "a success refunds nobody else");
});
