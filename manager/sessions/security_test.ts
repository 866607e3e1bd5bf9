/**
 * @module Regression tests of sign-in throttling (break 5): nobody can lock a user out of a device
 * they signed in from before, guessing stays limited, and forwarding headers count only from
 * trusted proxies.
 */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const login = "/api/v1/admin/login";

interface Try {
  password: string;
  email?: string;
  deviceToken?: string;
  cookie?: string;
  /** The TCP peer (default: what `app.request` gives, 127.0.0.1). */
  peer?: string;
  xff?: string;
}

async function attempt(t: TestPlatform, a: Try) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (a.cookie) headers.cookie = a.cookie;
  if (a.xff) headers["x-forwarded-for"] = a.xff;
  const body: Record<string, string> = { email: a.email ?? OWNER.email, password: a.password };
  if (a.deviceToken) body.device_token = a.deviceToken;
  const env = a.peer ? { remoteAddr: { hostname: a.peer, port: 4444 } } : undefined;
  const res = await t.p.console.request(
    `http://localhost${login}`,
    { method: "POST", headers, body: JSON.stringify(body) },
    env,
  );
  const json = await res.json();
  return { status: res.status, headers: res.headers, body: json };
}

const limits = { PICLOUD_LOGIN_MAX_FAILURES: "3", PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR: "5" };

Deno.test("break 5 - an attacker at the owner's own address cannot lock out the owner's device", async () => {
  await withTestPlatform(async (t) => {
    const first = await attempt(t, { password: OWNER.password });
    assert.equal(first.status, 200);
    const deviceToken: string = first.body.device_token;
    assert.ok(deviceToken);
    assert.match(first.headers.get("set-cookie") ?? "", /picloud_device=[^;]+;.*HttpOnly/);

    // The attacker shares the owner's address (same proxy, same NAT) and floods the account
    // and other accounts.
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await attempt(t, { password: `guess-${i}` });
      statuses.push(r.status);
      if (r.status === 429) {
        assert.equal(r.body.error.code, "too_many_attempts");
        assert.ok(Number(r.headers.get("retry-after")) > 0);
      } else assert.equal(r.body.error.code, "invalid_credentials");
    }
    for (let i = 0; i < 8; i++) await attempt(t, { email: `x${i}@nowhere.test`, password: "pw" });
    // Guessing is limited: only the first 3 wrong passwords were even verified.
    assert.equal(statuses.filter((s) => s === 401).length, 3);
    assert.equal(statuses.filter((s) => s === 429).length, 9);
    // Even the right password from an unknown client waits out the window.
    assert.equal((await attempt(t, { password: OWNER.password })).status, 429);

    // The owner's device (token in the body, or the cookie a browser sends) still gets in.
    const viaBody = await attempt(t, { password: OWNER.password, deviceToken });
    assert.equal(viaBody.status, 200, JSON.stringify(viaBody.body));
    const viaCookie = await attempt(t, {
      password: OWNER.password,
      cookie: `picloud_device=${deviceToken}`,
    });
    assert.equal(viaCookie.status, 200, JSON.stringify(viaCookie.body));
  }, limits);
});

Deno.test("break 5 - a botnet on one account is capped per account; the owner's device gets in", async () => {
  await withTestPlatform(async (t) => {
    const deviceToken = (await attempt(t, { password: OWNER.password })).body.device_token;
    let verified = 0;
    for (let i = 1; i <= 20; i++) {
      // Behind the trusted proxy, each bot is a different client address.
      const r = await attempt(t, { password: `guess-${i}`, xff: `198.51.100.${i}` });
      if (r.status === 401) verified++;
      else assert.equal(r.body.error.code, "too_many_attempts");
    }
    assert.equal(verified, 3);
    assert.equal((await attempt(t, { password: OWNER.password, deviceToken })).status, 200);
  }, { ...limits, PICLOUD_TRUSTED_PROXIES: "loopback" });
});

Deno.test("break 5 - a device token is limited per device and only for its own account", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    await t.createUser(owner, { email: "b@example.com" });
    const a = (await attempt(t, { password: OWNER.password })).body.device_token;
    const a2 = (await attempt(t, { password: OWNER.password })).body.device_token;
    for (let i = 0; i < 3; i++) {
      assert.equal((await attempt(t, { password: "wrong", deviceToken: a })).status, 401);
    }
    const blocked = await attempt(t, { password: OWNER.password, deviceToken: a });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, "too_many_attempts");
    // The owner's other device is untouched.
    assert.equal((await attempt(t, { password: OWNER.password, deviceToken: a2 })).status, 200);
    // A's token is no device of B: B's failures count per account.
    for (let i = 0; i < 3; i++) {
      await attempt(t, { email: "b@example.com", password: "wrong", peer: "203.0.113.7" });
    }
    const b = await attempt(t, {
      email: "b@example.com",
      password: "member-password-1",
      deviceToken: a2,
    });
    assert.equal(b.status, 429);
    // A forged or tampered token is no device either.
    const forged = a2.slice(0, -2) + (a2.endsWith("AA") ? "BB" : "AA");
    for (let i = 0; i < 3; i++) await attempt(t, { password: "wrong", peer: "203.0.113.8" });
    assert.equal((await attempt(t, { password: OWNER.password, deviceToken: forged })).status, 429);
  }, limits);
});

Deno.test("break 5 - a new password revokes every device token of the account", async () => {
  await withTestPlatform(async (t) => {
    const first = await attempt(t, { password: OWNER.password });
    const r = await t.call("PATCH", `/api/v1/admin/users/${first.body.user.id}`, {
      token: first.body.token,
      body: { password: "changed-password-1", current_password: OWNER.password },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (let i = 0; i < 3; i++) await attempt(t, { password: "wrong" });
    const old = await attempt(t, {
      password: "changed-password-1",
      deviceToken: first.body.device_token,
    });
    assert.equal(old.status, 429);
  }, limits);
});

Deno.test("break 5 - forwarding headers name the client only when a trusted proxy sent them", async (tt) => {
  await tt.step("no trusted proxy: X-Forwarded-For is ignored", async () => {
    await withTestPlatform(async (t) => {
      for (let i = 0; i < 5; i++) {
        const r = await attempt(t, { email: `u${i}@x.test`, password: "pw", xff: `192.0.2.${i}` });
        assert.equal(r.status, 401);
      }
      // Rotating the header does not escape the per-address budget of the real peer.
      const r = await attempt(t, { email: "v@x.test", password: "pw", xff: "192.0.2.99" });
      assert.equal(r.status, 429);
      const ok = await attempt(t, { password: OWNER.password, xff: "192.0.2.50" });
      assert.equal(ok.status, 429);
    }, limits);
  });
  await tt.step("trusted proxy: the rightmost untrusted hop is the client", async () => {
    await withTestPlatform(async (t) => {
      // Bot 192.0.2.1 spoofs a leftmost entry; the proxy appends the real address.
      for (let i = 0; i < 5; i++) {
        await attempt(t, {
          email: `u${i}@x.test`,
          password: "pw",
          peer: "10.1.2.3",
          xff: `203.0.113.50, 192.0.2.1`,
        });
      }
      const bot = await attempt(t, {
        email: "w@x.test",
        password: "pw",
        peer: "10.1.2.3",
        xff: "192.0.2.1",
      });
      assert.equal(bot.status, 429);
      // The owner at 203.0.113.50, whose address the bot named, is not blocked.
      const owner = await attempt(t, {
        password: OWNER.password,
        peer: "10.1.2.3",
        xff: "203.0.113.50, 10.9.9.9",
      });
      assert.equal(owner.status, 200, JSON.stringify(owner.body));
      const [row] = await t.p.db
        .sql`select client_addr from sessions order by created_at desc limit 1`;
      assert.equal(row.client_addr, "203.0.113.50");
      // A peer outside the trusted set cannot speak for anyone.
      const direct = await attempt(t, {
        email: "z@x.test",
        password: "pw",
        peer: "192.0.2.1",
        xff: "203.0.113.77",
      });
      assert.equal(direct.status, 429);
    }, { ...limits, PICLOUD_TRUSTED_PROXIES: "10.0.0.0/8" });
  });
});
