import assert from "node:assert/strict";
import { createPasswordHasher } from "../passwords.ts";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";
import { newToken, tokenHash } from "../tokens.ts";
import { insertSession } from "./repo.ts";

const login = "/api/v1/admin/login";
const me = "/api/v1/admin/me";

Deno.test("sessions API - login sets a cookie and returns a bearer token; logout ends it", async () => {
  await withTestPlatform(async (t) => {
    const r = await t.call("POST", login, {
      body: { email: OWNER.email, password: OWNER.password },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.user.email, OWNER.email);
    assert.ok(new Date(r.body.expires_at).getTime() > Date.now() + 23 * 3600_000);
    const set = r.headers.getSetCookie();
    const cookie = set.find((c) => /^picloud_session=[^;]+;/.test(c)) ?? "";
    // The console's pages under /admin need it as much as its API.
    assert.match(cookie, /; Path=\/(;|$)/);
    // A cookie an earlier version scoped to /api/v1 would shadow it there: it is cleared.
    assert.ok(
      set.some((c) =>
        /^picloud_session=;/.test(c) && /Max-Age=0/.test(c) && /Path=\/api\/v1(;|$)/.test(c)
      ),
      set.join("\n"),
    );
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
    const https = await t.p.console.request("https://localhost" + login, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: OWNER.email, password: OWNER.password }),
    });
    assert.match(https.headers.get("set-cookie") ?? "", /Secure/);
    // X-Forwarded-Proto counts only from a trusted proxy (none is configured here).
    const forged = await t.p.console.request("http://localhost" + login, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body: JSON.stringify({ email: OWNER.email, password: OWNER.password }),
    });
    assert.doesNotMatch(forged.headers.get("set-cookie") ?? "", /Secure/);

    const asCookie = { cookie: `picloud_session=${r.body.token}` };
    assert.equal((await t.call("GET", me, { headers: asCookie })).body.user.email, OWNER.email);
    assert.equal((await t.call("GET", me, { token: r.body.token })).body.via, "session");
    const [row] = await t.p.db.sql`select token_hash from sessions limit 1`;
    assert.notEqual(row.token_hash, r.body.token);

    const out = await t.call("POST", "/api/v1/admin/logout", { token: r.body.token });
    assert.equal(out.status, 204);
    assert.equal((await t.call("GET", me, { token: r.body.token })).status, 401);
  });
});

Deno.test("sessions API - cookie-authenticated unsafe requests need the same origin", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const cookie = `picloud_session=${token}`;
    const body = { name: "k" };
    const cases: [string, Record<string, string>, number][] = [
      ["no origin", { cookie }, 403],
      ["foreign origin", { cookie, origin: "https://evil.example" }, 403],
      ["cross-site fetch", { cookie, "sec-fetch-site": "cross-site" }, 403],
      ["same origin", { cookie, origin: "http://localhost" }, 201],
      ["same-origin fetch", { cookie, "sec-fetch-site": "same-origin" }, 201],
      ["bearer needs no origin", { authorization: `Bearer ${token}` }, 201],
    ];
    for (const [name, headers, status] of cases) {
      await t.step(name, async () => {
        const r = await tp.call("POST", "/api/v1/admin/api-keys", { headers, body });
        assert.equal(r.status, status);
        if (status === 403) assert.equal(r.body.error.code, "csrf_rejected");
      });
    }
    await t.step("safe methods pass", async () => {
      assert.equal((await tp.call("GET", me, { headers: { cookie } })).status, 200);
    });
  });
});

Deno.test("sessions API - brute force gets 429 with Retry-After, per account and per address", async () => {
  await withTestPlatform(async (t) => {
    for (let i = 0; i < 3; i++) {
      const r = await t.call("POST", login, { body: { email: OWNER.email, password: "wrong" } });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, "invalid_credentials");
    }
    const blocked = await t.call("POST", login, {
      body: { email: OWNER.email, password: OWNER.password },
    });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, "too_many_attempts");
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    // Unknown accounts count against the client address.
    for (let i = 0; i < 2; i++) {
      const r = await t.call("POST", login, {
        body: { email: `x${i}@nowhere.test`, password: "pw" },
      });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, "invalid_credentials");
    }
    const byAddr = await t.call("POST", login, {
      body: { email: "y@nowhere.test", password: "pw" },
    });
    assert.equal(byAddr.status, 429);
  }, { PICLOUD_LOGIN_MAX_FAILURES: "3", PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR: "5" });
});

Deno.test("sessions API - unknown emails cost a password verification too", async () => {
  await withTestPlatform(async (t) => {
    const once = async (email: string) => {
      const start = performance.now();
      await t.call("POST", login, { body: { email, password: "wrong-password" } });
      return performance.now() - start;
    };
    await once("nobody@example.com"); // warm up the dummy hash
    // Interleaved pairs, so a burst of load on the machine weighs on both sides alike; without
    // the dummy verification an unknown email costs a few percent of a known one.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      known.push(await once(OWNER.email));
      unknown.push(await once("nobody@example.com"));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const [k, u] = [median(known), median(unknown)];
    assert.ok(u > k * 0.3, `unknown ${u} ms vs known ${k} ms`);
    assert.ok(u > 5, `an unknown email took only ${u} ms`);
  }, {
    PICLOUD_ARGON2_MEMORY_KIB: "19456",
    PICLOUD_ARGON2_ITERATIONS: "2",
    PICLOUD_LOGIN_MAX_FAILURES: "1000",
    PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR: "1000",
  });
});

Deno.test("sessions API - login rehashes when the parameters changed; sessions slide", async () => {
  await withTestPlatform(async (t) => {
    const old = await createPasswordHasher({ memoryKib: 2048, iterations: 1, parallelism: 1 })
      .hash(OWNER.password);
    await t.p.db.sql`update admin_users set password_hash = ${old}`;
    const token = await t.login(OWNER.email, OWNER.password);
    const [{ password_hash }] = await t.p.db.sql`select password_hash from admin_users`;
    assert.match(password_hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

    const [before] = await t.p.db.sql`select last_seen_at, expires_at from sessions`;
    await t.call("GET", me, { token });
    const [same] = await t.p.db.sql`select last_seen_at, expires_at from sessions`;
    assert.deepEqual(same, before);
    await t.p.db.sql`update sessions set last_seen_at = now() - interval '2 minutes',
      expires_at = now() + interval '1 hour'`;
    assert.equal((await t.call("GET", me, { token })).status, 200);
    const [slid] = await t.p.db.sql`select expires_at from sessions`;
    assert.ok(slid.expires_at.getTime() > Date.now() + 23 * 3600_000);
    await t.p.db.sql`update sessions set expires_at = now() - interval '1 second'`;
    assert.equal((await t.call("GET", me, { token })).status, 401);
  });
});

Deno.test("sessions API - a session token is a session whatever its first letters (even pc_, an API key's)", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const [{ id }] = await t.p.db.sql<{ id: string }[]>`
      select id from admin_users where email = ${OWNER.email}`;
    // Session tokens are random base64url: one in 64³ begins with "pc_". Such a token must
    // authenticate like any other, not be taken for a malformed API key.
    for (const token of [`pc_${newToken().slice(3)}`, `pc_${"a".repeat(12)}_x`, newToken()]) {
      await insertSession(t.p.db.sql, {
        userId: id,
        tokenHash: await tokenHash(token),
        ttlMs: 60_000,
        userAgent: null,
        addr: "127.0.0.1",
      });
      const r = await t.call("GET", me, { token });
      assert.equal(r.status, 200, `${token}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.user.email, OWNER.email);
    }
    // A real API key still authenticates as the key, and a malformed one is refused.
    const created = await t.call("POST", "/api/v1/admin/api-keys", {
      token: owner,
      body: { name: "k" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.key as unknown as string;
    assert.equal((await t.call("GET", me, { token: key })).status, 200);
    assert.equal((await t.call("GET", me, { token: `${key}0` })).status, 401);
  });
});
