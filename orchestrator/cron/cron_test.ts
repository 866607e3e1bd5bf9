/** @module Tests of cron parsing and next-run evaluation. */
import assert from "node:assert/strict";
import { CronError, nextRunAfter, parseCron } from "./cron.ts";

Deno.test("parseCron() - rejects bad expressions and zones with a reason", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["61 * * * *", "UTC", /minute/],
    ["* * *", "UTC", /Invalid cron/],
    ["0 0 30 2 *", "UTC", /never fires/],
    ["* * * * *", "Mars/Base", /Unknown time zone/],
  ];
  for (const [cron, tz, reason] of cases) {
    await t.step(`${cron} @ ${tz}`, () => {
      assert.throws(() => parseCron(cron, tz), (e: unknown) => {
        assert.ok(e instanceof CronError);
        assert.equal(e.code, "invalid_cron");
        assert.match(e.message, reason);
        return true;
      });
    });
  }
});

Deno.test("nextRunAfter() - honours the time zone, including a DST change", () => {
  // 02:30 local does not exist in Oslo on 2026-03-29 (clocks jump 02:00 → 03:00).
  const next = nextRunAfter("30 2 * * *", "Europe/Oslo", new Date("2026-03-28T12:00:00Z"));
  assert.ok(next);
  assert.ok(next.getTime() > Date.parse("2026-03-28T12:00:00Z"));
  assert.equal(
    nextRunAfter("0 9 * * *", "Europe/Oslo", new Date("2026-06-01T00:00:00Z"))?.toISOString(),
    "2026-06-01T07:00:00.000Z",
  );
  assert.equal(
    nextRunAfter("*/15 * * * *", "UTC", new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-01-01T00:15:00.000Z",
  );
});
