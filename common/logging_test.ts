import assert from "node:assert/strict";
import { createLogger } from "./logging.ts";

Deno.test("createLogger() - filters by level and redacts secret-looking fields", () => {
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l));
  log.debug("hidden");
  log.info("login", { email: "a@b.c", password: "hunter2", token: "t0k", apiKey: "k" });
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.msg, "login");
  assert.equal(entry.email, "a@b.c");
  assert.equal(entry.password, "[redacted]");
  assert.equal(entry.token, "[redacted]");
  assert.equal(entry.apiKey, "[redacted]");
  assert.ok(!lines[0].includes("hunter2"));
});
