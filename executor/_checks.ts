/**
 * @module Deploy checks: a module is loaded once in the sandbox, on its app's check executor
 * (never the app's own, so a bad deploy cannot disturb it), and why it cannot run is reported
 * as diagnostics. One check at a time per app.
 */

import { diagnosticsOf } from "./_diagnostics.ts";
import type { Invoker } from "./_invoker.ts";
import type { CheckInput, Diagnostic, ScriptRef } from "./types.ts";
import { unsupportedApis, unsupportedMessage } from "./_words.ts";

/** Runs deploy checks through the pool's invoker, one at a time per app. */
export class DeployChecks {
  #invoker: Invoker;
  #queues = new Map<string, Promise<void>>();

  constructor(invoker: Invoker) {
    this.#invoker = invoker;
  }

  /** Loads `input.source` in the sandbox; no diagnostics means it can run. */
  async check(input: CheckInput): Promise<Diagnostic[]> {
    // One check at a time per app: concurrent loads would add up against the memory cap and
    // one bad module's kill would fail its neighbours' checks.
    const key = input.appId;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => release = resolve);
    const tail = previous.then(() => mine);
    this.#queues.set(key, tail);
    await previous;
    try {
      return await this.#checkNow(input);
    } finally {
      release();
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }

  async #checkNow(input: CheckInput): Promise<Diagnostic[]> {
    // Refused before loading: a Workers API that is not provided would only fail at run time.
    const unsupported = unsupportedApis(input.source);
    if (unsupported.length > 0) {
      return unsupported.map((u) => ({
        message: unsupportedMessage(u),
        line: u.line,
        column: u.column,
        api: u.api,
      }));
    }
    const checkId = crypto.randomUUID();
    const script: ScriptRef = {
      appId: input.appId,
      appSlug: "check",
      scriptId: "check",
      // Its own version: a checked module never shares a Worker or a concurrency count.
      versionId: `check-${checkId}`,
      source: input.source,
      env: {},
      limits: {
        timeoutMs: input.timeoutMs,
        memoryLimitMb: input.memoryLimitMb,
        maxBodyBytes: 1024,
        maxConcurrency: 1,
      },
      netAllow: [],
      entry: input.entry,
    };
    const inv = await this.#invoker.run(script, {
      params: {},
      requestId: script.versionId,
      remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 0 },
      trigger: "execute",
    }, { kind: "check" });
    await inv.response.body?.cancel();
    return diagnosticsOf(inv.outcome, input.entry);
  }
}
