/**
 * @module A Workers cron script: `scheduled(controller, env, ctx)` prunes old entries and reports
 * through `ctx.waitUntil`; its fetch handler says when it runs.
 */
import { pruneBefore } from "./prune.ts";

interface Env {
  RETENTION_DAYS: string;
}

export default {
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
    const days = Number(env.RETENTION_DAYS);
    const cutoff = controller.scheduledTime - days * 86_400_000;
    const removed = pruneBefore(cutoff);
    ctx.waitUntil(Promise.resolve().then(() => console.log(`report sent for ${controller.cron}`)));
    console.log(`pruned ${removed} entries older than ${days} days (cron ${controller.cron})`);
  },
  fetch(): Response {
    return new Response("cleanup runs on a schedule");
  },
};

// The Workers types, as @cloudflare/workers-types declares them, kept local to this module.
interface ScheduledController {
  readonly cron: string;
  readonly scheduledTime: number;
  noRetry(): void;
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
