/**
 * @module The error catalogue: every stable error `code` the platform answers with, its HTTP
 * status and what it means. Control plane, router and executor all take their statuses from here.
 */

/** One entry: the status a code is always answered with, and when it happens. */
export interface ErrorEntry {
  status: number;
  description: string;
}

/** Every stable error code (grouped by who answers it; the codes never change meaning). */
export const ERROR_CODES = {
  // ---- Any request ----
  invalid_request: { status: 400, description: "The input failed validation (`details.issues`)" },
  bad_request: { status: 400, description: "The request could not be parsed" },
  invalid_host: { status: 400, description: "The Host header is not a valid host name" },
  body_too_large: { status: 413, description: "The request body is over its limit" },
  not_found: { status: 404, description: "No endpoint at this path" },
  method_not_allowed: { status: 405, description: "The path exists for other methods (`Allow`)" },
  internal: { status: 500, description: "A platform bug; the request id is in the server log" },
  too_many_connections: { status: 503, description: "The server is at its connection limit" },
  // ---- Identity and access ----
  unauthorized: { status: 401, description: "No valid session or API key" },
  invalid_credentials: { status: 401, description: "Wrong email or password" },
  forbidden: { status: 403, description: "The caller's role is too low for the action" },
  session_required: { status: 403, description: "Only a signed-in session may do this" },
  csrf_rejected: { status: 403, description: "A cookie-authenticated cross-site request" },
  invalid_setup_token: { status: 403, description: "The one-time setup token is wrong" },
  invalid_current_password: { status: 403, description: "The current password is wrong" },
  current_password_required: { status: 400, description: "Send the current password" },
  not_a_session: { status: 400, description: "The credential is not a session" },
  too_many_attempts: { status: 429, description: "Too many failed sign-ins (`Retry-After`)" },
  already_set_up: { status: 409, description: "The instance already has an owner" },
  email_taken: { status: 409, description: "Another user has this email" },
  last_owner: { status: 409, description: "The last active owner cannot lose that role" },
  last_admin: { status: 409, description: "The app's last admin cannot be removed" },
  user_not_found: { status: 404, description: "No such user" },
  api_key_not_found: { status: 404, description: "No such API key of the caller" },
  member_exists: { status: 409, description: "The user is already a member" },
  member_not_found: { status: 404, description: "No such member of the app" },
  // ---- Apps and their resources ----
  app_not_found: { status: 404, description: "No such app, or not visible to the caller" },
  default_app: { status: 409, description: "The default app cannot be renamed or deleted" },
  slug_taken: { status: 409, description: "Another app has this slug" },
  slug_held: { status: 409, description: "Another app's old slug redirects here (`force`)" },
  domain_not_found: { status: 404, description: "No such domain claim" },
  domain_taken: { status: 409, description: "Another app claims this domain" },
  domain_reserved: { status: 409, description: "The domain is the console's own" },
  invalid_domain: { status: 400, description: "Not a valid domain pattern" },
  script_not_found: { status: 404, description: "No such script" },
  script_exists: { status: 409, description: "The app has a script of this name" },
  version_not_found: { status: 404, description: "No such version of the script" },
  compile_error: { status: 422, description: "The source does not load (`details.diagnostics`)" },
  invalid_upload: {
    status: 400,
    description: "A file, entry or dependency of the deploy is refused",
  },
  bundle_failed: {
    status: 422,
    description: "The deploy's imports could not be bundled (`details.diagnostics`, or the limit)",
  },
  dependency_unavailable: {
    status: 422,
    description: "An npm package is neither cached nor fetchable (`details.package`)",
  },
  unsupported_api: {
    status: 422,
    description: "The script uses a Workers API PiCloud does not provide (`details.api`)",
  },
  env_too_large: { status: 413, description: "The script's variables and secrets are too large" },
  limit_exceeds_cap: { status: 400, description: "A limit is over the instance's cap" },
  secrets_disabled: { status: 409, description: "No secret key is configured" },
  route_not_found: { status: 404, description: "No such route" },
  route_conflict: { status: 409, description: "Another route has this host, path and method" },
  invalid_route_path: { status: 400, description: "Not a valid route path pattern" },
  invalid_route_method: { status: 400, description: "Not a supported route method" },
  host_not_claimed: { status: 422, description: "The route's host is not claimed by the app" },
  unclaimed_host: { status: 404, description: "No app claims the host" },
  schedule_not_found: { status: 404, description: "No such schedule" },
  invalid_cron: { status: 400, description: "Not a valid cron expression or time zone" },
  // ---- Backups (the admin endpoint and `picloud backup` / `restore`) ----
  backup_unsupported: {
    status: 409,
    description: "The database is PostgreSQL: back it up with pg_dump, not PiCloud",
  },
  backup_invalid: { status: 400, description: "The file is not a usable PiCloud backup" },
  backup_too_new: { status: 409, description: "The backup's schema is newer than this PiCloud" },
  data_dir_locked: { status: 409, description: "A running server holds the data directory" },
  data_dir_not_empty: {
    status: 409,
    description: "The data directory already holds a database (`force` replaces it)",
  },
  no_database: { status: 404, description: "The data directory holds no database to back up" },
  // ---- The request path (tenant hosts and `/execute`) ----
  unknown_host: { status: 404, description: "No app claims the host" },
  not_console_host: { status: 421, description: "The console is not served on this host" },
  no_route: { status: 404, description: "No route of the app matches" },
  no_active_version: { status: 503, description: "The script has no deployed version" },
  timeout: { status: 504, description: "The script ran over its time limit" },
  memory_limit: { status: 503, description: "The script ran over its memory limit" },
  response_too_large: { status: 502, description: "The script's response is over its limit" },
  concurrency_limit: { status: 429, description: "The script's concurrency limit is reached" },
  script_error: { status: 500, description: "The script threw; the details are in its log" },
  executor_crashed: { status: 502, description: "The app's executor crashed" },
  executor_restarted: { status: 503, description: "The app's executor was restarted; retry" },
  capacity: { status: 503, description: "Every executor slot is busy; retry later" },
  client_closed: { status: 499, description: "The client left first (execution log only)" },
} as const satisfies Record<string, ErrorEntry>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The status a code is answered with. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
