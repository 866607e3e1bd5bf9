import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";
import { login, logout, me } from "./service.ts";

async function rejectsWith(p: Promise<unknown>, code: string): Promise<ApiError> {
  let caught: ApiError | undefined;
  await assert.rejects(p, (err) => {
    caught = err as ApiError;
    return err instanceof ApiError && err.code === code;
  });
  return caught!;
}

const from = { addr: "192.0.2.7", userAgent: "test" };

Deno.test("sessions service - login opens a session that me and logout see", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const signedIn = await login(deps, {
      email: ` ${OWNER.email} `,
      password: OWNER.password,
      ...from,
    });
    assert.equal(signedIn.user.email, OWNER.email);
    assert.ok(signedIn.device_token.length > 0);
    const [row] = await deps.sql`select id, client_addr from sessions`;
    assert.equal(row.client_addr, from.addr);
    const p: Principal = {
      kind: "session",
      userId: signedIn.user.id,
      instanceRole: "owner",
      appRoles: {},
    };
    const who = await me(deps, p);
    assert.equal(who.via, "session");
    assert.equal(who.api_key, null);
    await logout(deps, p, row.id);
    assert.equal((await deps.sql`select id from sessions`).length, 0);
  });
});

Deno.test("sessions service - refusals are typed errors", async (st) => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    await st.step("a wrong password and an unknown account are alike", async () => {
      await rejectsWith(
        login(deps, { email: OWNER.email, password: "wrong", ...from }),
        "invalid_credentials",
      );
      await rejectsWith(
        login(deps, { email: "x@example.com", password: "wrong", ...from }),
        "invalid_credentials",
      );
    });
    await st.step("too many failures answer 429 with Retry-After", async () => {
      const max = deps.config.auth.loginMaxFailures;
      for (let i = 0; i < max; i++) {
        await login(deps, { email: "y@example.com", password: "wrong", ...from }).catch(() => {});
      }
      const err = await rejectsWith(
        login(deps, { email: "y@example.com", password: "wrong", ...from }),
        "too_many_attempts",
      );
      assert.match(err.headers?.["Retry-After"] ?? "", /^[1-9][0-9]*$/);
    });
    await st.step("logout with an API key is not a session", async () => {
      const [{ id }] = await deps.sql`select id from admin_users where email = ${OWNER.email}`;
      const key: Principal = {
        kind: "api_key",
        userId: id,
        instanceRole: "owner",
        appRoles: {},
        key: { id: "k", appId: null, readOnly: false },
      };
      await rejectsWith(logout(deps, key, null), "not_a_session");
    });
  });
});
