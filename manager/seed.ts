/** @module Idempotent seeds: the `default` app with its localhost claims, and Hello World once per install. */
import type { Sql } from "../common/db.ts";
import { sha256Hex } from "../common/hash.ts";

/** The Hello World script a fresh install serves at `GET /` of the default app. */
export const HELLO_WORLD_SOURCE = `/** Hello World: edit me, or deploy your own script. */
export default {
  // env: this script's vars and secrets; ctx: waitUntil(), params, app, requestId, remoteAddr.
  fetch(request: Request, env: Record<string, string>, ctx: { app: { slug: string } }): Response {
    return new Response("Hello World\\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
`;

/** What the seed did on this run. */
export interface SeedResult {
  defaultAppId: string;
  helloWorldSeeded: boolean;
}

/**
 * Ensures the `default` app and its `localhost` and `127.0.0.1` claims exist (every start), and
 * on the first start of an install only, adds the Hello World script routed at `GET /`. The
 * "first start" fact is recorded in `picloud_meta` in the same transaction, so a user who deletes
 * Hello World never sees it come back, and two processes starting at once seed it once.
 */
export async function seed(sql: Sql): Promise<SeedResult> {
  return await sql.begin(async (tx) => {
    await tx`insert into apps (slug, name) values ('default', 'Default') on conflict (slug) do nothing`;
    const [app] = await tx<{ id: string }[]>`select id from apps where slug = 'default'`;
    for (const pattern of ["localhost", "127.0.0.1"]) {
      await tx`
        insert into app_domains (app_id, pattern, kind, shape_key)
        values (${app.id}, ${pattern}, 'exact', ${pattern})
        on conflict (shape_key) do nothing`;
    }
    const first = await tx`
      insert into picloud_meta (key, value) values ('hello_world_seeded', 'true')
      on conflict (key) do nothing returning key`;
    if (first.length === 0) return { defaultAppId: app.id, helloWorldSeeded: false };
    const [script] = await tx<{ id: string }[]>`
      insert into scripts (app_id, name, description)
      values (${app.id}, 'hello-world', 'Seeded on a fresh install')
      on conflict (app_id, name) do nothing returning id`;
    if (!script) return { defaultAppId: app.id, helloWorldSeeded: false };
    const hash = await sha256Hex(HELLO_WORLD_SOURCE);
    const [version] = await tx<{ id: string }[]>`
      insert into script_versions (script_id, version, source, hash)
      values (${script.id}, 1, ${HELLO_WORLD_SOURCE}, ${hash}) returning id`;
    await tx`update scripts set active_version_id = ${version.id} where id = ${script.id}`;
    await tx`
      insert into routes (app_id, script_id, method, path, host, shape_key)
      values (${app.id}, ${script.id}, 'GET', '/', null, 'GET /')
      on conflict (app_id, shape_key) do nothing`;
    return { defaultAppId: app.id, helloWorldSeeded: true };
  });
}
