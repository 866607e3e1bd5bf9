/**
 * @module Running a script directly (`script.execute`): the one operation behind the REST
 * endpoint `/api/v1/execute/{script_id}` and the console's "try it" panel. It authorizes on the
 * script's app (editor or above: running code has side effects), strips the caller's console
 * credentials from the request and dispatches it with the URL the script would see behind a `/*`
 * route; the front door answers with the response.
 */
import type { Completion } from "../../executor/mod.ts";
import { type DispatchDeps, dispatchTraced } from "../../orchestrator/mod.ts";
import type { RemoteAddr } from "../../common/remote_addr.ts";
import { withoutCredentials } from "../authn.ts";
import type { Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { scriptToRun } from "./service.ts";

/** What running a script needs: the routing snapshot and the orchestrator's dispatch parts. */
export interface ExecuteDeps {
  manager: Pick<ManagerDeps, "routing">;
  dispatch: DispatchDeps;
}

/** One direct run: the script id, the request it gets and where that request came from. */
export interface ExecuteInput {
  scriptId: string;
  /** The request as the caller sent it (its console credentials are removed before dispatch). */
  request: Request;
  remoteAddr: RemoteAddr;
}

/** A direct run as its front door follows it. */
export interface Execution {
  /** What the caller gets: the script's response, or the platform's error response. */
  response: Response;
  /** The execution log's `request_id` (null when nothing ran, e.g. `no_active_version`). */
  requestId: string | null;
  /** The script's app, for links to its pages. */
  app: { id: string; slug: string };
  /**
   * The invocation's outcome, console lines and usage, once its response body was delivered
   * (null when nothing ran). A caller that never reads the body must not wait for it.
   */
  completed: Promise<Completion | null>;
}

/**
 * Runs the script `input.scriptId` with `input.request` as the caller `p` (404
 * `script_not_found` hides scripts of apps the caller cannot see; 403 below app editor).
 */
export async function executeScript(
  deps: ExecuteDeps,
  p: Principal,
  input: ExecuteInput,
): Promise<Execution> {
  const { script, app } = scriptToRun(deps.manager, p, input.scriptId);
  const request = asRouted(withoutCredentials(input.request), input.scriptId);
  const run = await dispatchTraced(deps.dispatch, request, {
    script,
    app,
    params: {},
    trigger: "execute",
    remoteAddr: input.remoteAddr,
    host: null,
    url: new URL(request.url),
  });
  return { ...run, app: { id: app.id, slug: app.slug } };
}

/**
 * The request as the script sees it when it runs directly: as if routed at `/*`, its URL is the
 * part after `/api/v1/execute/{id}` (`/` when none) with the query, so a script that routes on
 * its path answers here as it does on its domain.
 */
function asRouted(req: Request, scriptId: string): Request {
  const url = new URL(req.url);
  const prefix = `${EXECUTE_BASE}/${scriptId}`;
  if (!url.pathname.startsWith(prefix)) return req;
  url.pathname = url.pathname.slice(prefix.length) || "/";
  return new Request(url, req);
}

/** Where the execute endpoint is mounted. */
export const EXECUTE_BASE = "/api/v1/execute";
