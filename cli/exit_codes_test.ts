import assert from "node:assert/strict";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";

Deno.test("exit codes - one table for local refusals and API answers", () => {
  // Local refusals (no HTTP status): by code, anything else is a failure.
  assert.equal(exitCodeFor("data_dir_locked"), ExitCode.unavailable);
  assert.equal(exitCodeFor("backup_unsupported"), ExitCode.usage);
  assert.equal(exitCodeFor("no_database"), ExitCode.notFound);
  assert.equal(exitCodeFor("forbidden"), ExitCode.auth);
  assert.equal(exitCodeFor("script_error"), ExitCode.failed);
  // API answers: the same codes mean the same, whatever the status; then the status decides.
  assert.equal(exitCodeFor("data_dir_locked", 409), ExitCode.unavailable);
  assert.equal(exitCodeFor("session_expired", 401), ExitCode.auth);
  assert.equal(exitCodeFor("not_found", 404), ExitCode.notFound);
  assert.equal(exitCodeFor("invalid_request", 400), ExitCode.usage);
  assert.equal(exitCodeFor("invalid_request", 422), ExitCode.failed);
  assert.equal(exitCodeFor("draining", 503), ExitCode.unavailable);
  assert.equal(exitCodeFor("capacity", 503), ExitCode.failed);
  assert.equal(exitCodeFor("http_500", 500), ExitCode.failed);
});
