/**
 * @module Regression tests of live log tails (break 6): an open tail ends once its credential, its
 * user or its access to the app is gone, and lives on while they are not.
 */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";

/** Generous bound for "the stream ended": not a speed assertion, a hang detector. */
const END_WITHIN_MS = 10_000;

interface Tail {
  /** Resolves true when the stream ends, false if it is still open after `ms`. */
  ended(ms: number): Promise<boolean>;
  text(): string;
  close(): Promise<void>;
}

async function openTail(t: TestPlatform, token: string, app = "default"): Promise<Tail> {
  const res = await t.p.console.request(`http://localhost${A}/apps/${app}/logs?follow=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) assert.fail(`${res.status} ${await res.text()}`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let done = false;
  let pending: Promise<void> | null = null;
  const pump = () =>
    pending ??= reader.read().then((r) => {
      pending = null;
      if (r.done) done = true;
      else text += r.value;
    });
  /** Reads until the stream ends, `until` holds, or `ms` pass; true when it ended. */
  const ended = async (ms: number, until = () => false) => {
    const deadline = Date.now() + ms;
    while (!done && !until() && Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        pump(),
        new Promise<void>((r) => timer = setTimeout(r, Math.max(0, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
    return done;
  };
  // Started: the first comment is there.
  await ended(END_WITHIN_MS, () => text.includes(": following"));
  assert.ok(text.includes(": following"), text);
  return {
    ended,
    text: () => text,
    close: async () => {
      await reader.cancel().catch(() => {});
    },
  };
}

Deno.test("break 6 - a live tail ends when its credential or access ends", async (tt) => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    let n = 0;
    /** A fresh user with `role` in the default app (or an instance role), signed in. */
    const user = async (opts: { appRole?: string; instanceRole?: string } = {}) => {
      const email = `u${++n}@example.com`;
      const id = await t.createUser(owner, { email, role: opts.instanceRole ?? "member" });
      if (opts.appRole) {
        const r = await t.call("POST", `${A}/apps/default/members`, {
          token: owner,
          body: { user_id: id, role: opts.appRole },
        });
        assert.equal(r.status, 201);
      }
      return { id, token: await t.login(email, "member-password-1") };
    };
    const keyOf = async (session: string) => {
      const r = await t.call("POST", `${A}/api-keys`, { token: session, body: { name: "k" } });
      assert.equal(r.status, 201);
      return { id: r.body.id, key: r.body.key };
    };

    // A bystander tail that must outlive every revocation below.
    const bystander = await user({ appRole: "viewer" });
    const steady = await openTail(t, bystander.token);

    const kinds: [
      string,
      () => Promise<{ token: string; app?: string; revoke(): Promise<void> }>,
    ][] = [
      ["logout", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: u.token,
          revoke: async () => {
            const r = await t.call("POST", `${A}/logout`, { token: u.token });
            assert.equal(r.status, 204);
          },
        };
      }],
      ["session expired", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: u.token,
          revoke: async () => {
            await t.p.db.sql`update sessions set expires_at = now() - interval '1 second'
              where user_id = ${u.id}`;
          },
        };
      }],
      ["own password changed", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: u.token,
          revoke: async () => {
            const r = await t.call("PATCH", `${A}/users/${u.id}`, {
              token: u.token,
              body: { password: "another-password-1", current_password: "member-password-1" },
            });
            assert.equal(r.status, 200, JSON.stringify(r.body));
          },
        };
      }],
      ["password reset by the owner", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: u.token,
          revoke: async () => {
            const r = await t.call("PATCH", `${A}/users/${u.id}`, {
              token: owner,
              body: { password: "another-password-1" },
            });
            assert.equal(r.status, 200, JSON.stringify(r.body));
          },
        };
      }],
      ["user deactivated (session)", async () => {
        const u = await user({ appRole: "viewer" });
        return { token: u.token, revoke: () => deactivate(u.id) };
      }],
      ["user deactivated (API key)", async () => {
        const u = await user({ appRole: "viewer" });
        return { token: (await keyOf(u.token)).key, revoke: () => deactivate(u.id) };
      }],
      ["user deleted", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: (await keyOf(u.token)).key,
          revoke: async () => {
            assert.equal(
              (await t.call("DELETE", `${A}/users/${u.id}`, { token: owner })).status,
              204,
            );
          },
        };
      }],
      ["API key deleted", async () => {
        const u = await user({ appRole: "viewer" });
        const k = await keyOf(u.token);
        return {
          token: k.key,
          revoke: async () => {
            const r = await t.call("DELETE", `${A}/api-keys/${k.id}`, { token: u.token });
            assert.equal(r.status, 204);
          },
        };
      }],
      ["API key expired", async () => {
        const u = await user({ appRole: "viewer" });
        const k = await keyOf(u.token);
        return {
          token: k.key,
          revoke: async () => {
            await t.p.db.sql`update api_keys set expires_at = now() - interval '1 second'
              where id = ${k.id}`;
          },
        };
      }],
      ["app membership removed", async () => {
        const u = await user({ appRole: "viewer" });
        return {
          token: (await keyOf(u.token)).key,
          revoke: async () => {
            const r = await t.call("DELETE", `${A}/apps/default/members/${u.id}`, { token: owner });
            assert.equal(r.status, 204);
          },
        };
      }],
      ["instance admin demoted to member", async () => {
        const u = await user({ instanceRole: "admin" });
        return {
          token: u.token,
          revoke: async () => {
            const r = await t.call("PATCH", `${A}/users/${u.id}`, {
              token: owner,
              body: { instance_role: "member" },
            });
            assert.equal(r.status, 200);
          },
        };
      }],
      ["app deleted", async () => {
        const slug = `doomed-${++n}`;
        const r = await t.call("POST", `${A}/apps`, { token: owner, body: { slug, name: slug } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return {
          token: owner,
          app: slug,
          revoke: async () => {
            assert.equal(
              (await t.call("DELETE", `${A}/apps/${slug}`, { token: owner })).status,
              204,
            );
          },
        };
      }],
    ];
    async function deactivate(id: string) {
      const r = await t.call("PATCH", `${A}/users/${id}`, {
        token: owner,
        body: { active: false },
      });
      assert.equal(r.status, 200);
    }

    for (const [name, make] of kinds) {
      await tt.step(name, async () => {
        const s = await make();
        const tail = await openTail(t, s.token, s.app);
        await s.revoke();
        const ended = await tail.ended(END_WITHIN_MS);
        await tail.close();
        assert.ok(ended, `the tail outlived "${name}"`);
        assert.match(tail.text(), /event: end\ndata: \{"reason":"access_revoked"\}/);
      });
    }
    await tt.step("an unrevoked tail is still open after all of them", async () => {
      assert.equal(await steady.ended(500), false);
      await steady.close();
    });
  });
});
