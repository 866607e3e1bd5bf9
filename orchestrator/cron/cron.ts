/** @module Cron expressions and time zones, validated and evaluated with croner. */
import { Cron } from "croner";

/** An invalid cron expression or time zone; `code` is stable, the message says why. */
export class CronError extends Error {
  readonly code = "invalid_cron";
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

/** Checks an IANA time zone name. */
export function validateTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new CronError(`Unknown time zone ${timezone}: use an IANA name such as Europe/Oslo`);
  }
}

/**
 * Parses `cron` (5 fields, or 6 with seconds first; `@hourly`-style nicknames) in `timezone`.
 * Rejects expressions that never fire.
 */
export function parseCron(cron: string, timezone = "UTC"): Cron {
  validateTimezone(timezone);
  let job: Cron;
  try {
    job = new Cron(cron.trim(), { timezone, paused: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, "") : String(err);
    throw new CronError(`Invalid cron expression: ${reason}`);
  }
  if (job.nextRun() === null) throw new CronError("The cron expression never fires");
  return job;
}

/** The first run strictly after `after`, or null if there is none. */
export function nextRunAfter(cron: string, timezone: string, after: Date): Date | null {
  return parseCron(cron, timezone).nextRun(after);
}
