/** @module Where credentials are kept, how environment variables override them, URL forms. */

import assert from "node:assert/strict";
import {
  configPath,
  normalizeUrl,
  readStoredCredentials,
  resolveCredentials,
  saveCredentials,
} from "./config.ts";

Deno.test("configPath() uses XDG_CONFIG_HOME, then HOME/.config", () => {
  assert.equal(configPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/x/picloud/config.json");
  assert.equal(configPath({ HOME: "/h" }), "/h/.config/picloud/config.json");
  assert.throws(() => configPath({}), { code: "no_config_dir" });
});

Deno.test("normalizeUrl() adds http:// and drops a trailing slash", () => {
  assert.equal(normalizeUrl("pi.local:8001"), "http://pi.local:8001");
  assert.equal(normalizeUrl("https://pi.example.com/"), "https://pi.example.com");
  assert.throws(() => normalizeUrl("ftp://x"), { code: "invalid_url" });
});

Deno.test("resolveCredentials() - PICLOUD_URL and PICLOUD_API_KEY win over the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { XDG_CONFIG_HOME: dir };
    await assert.rejects(resolveCredentials(env), { code: "not_logged_in", exit: 4 });
    await saveCredentials(env, { url: "http://a:1", apiKey: "pc_a_b" });
    assert.deepEqual(await readStoredCredentials(env), { url: "http://a:1", apiKey: "pc_a_b" });
    assert.deepEqual(await resolveCredentials(env), { url: "http://a:1", apiKey: "pc_a_b" });
    assert.deepEqual(
      await resolveCredentials({ ...env, PICLOUD_API_KEY: "pc_c_d" }),
      { url: "http://a:1", apiKey: "pc_c_d" },
    );
    assert.deepEqual(
      await resolveCredentials({ PICLOUD_URL: "b:2", PICLOUD_API_KEY: "pc_e_f" }),
      { url: "http://b:2", apiKey: "pc_e_f" },
    );
    // Saving again replaces the file (rename over it) and leaves no temporary file behind.
    await saveCredentials(env, { url: "http://c:3", apiKey: "pc_g_h" });
    const names = [...Deno.readDirSync(`${dir}/picloud`)].map((e) => e.name);
    assert.deepEqual(names, ["config.json"]);
    assert.equal((await Deno.stat(`${dir}/picloud/config.json`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
