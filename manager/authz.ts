/**
 * @module Authorization: the one pure decision `can(principal, action, resource)` over plain data,
 * the table of every action with the minimum role it needs, and `assertCan`, the same decision as
 * a typed error, for services and front doors alike.
 */
import { ApiError } from "../common/errors.ts";

/** Instance-wide roles, most to least powerful: owner > admin > member. */
export type InstanceRole = "owner" | "admin" | "member";
/** Roles within one app: admin > editor > viewer. */
export type AppRole = "admin" | "editor" | "viewer";

/** Who is calling: a signed-in user (session) or an API key acting with its owner's rights. */
export interface Principal {
  kind: "session" | "api_key";
  userId: string;
  instanceRole: InstanceRole;
  /** The user's explicit app memberships: app id → role. */
  appRoles: Readonly<Record<string, AppRole>>;
  /** Present for API keys: the optional app the key is narrowed to and whether it is read-only. */
  key?: { id: string; appId: string | null; readOnly: boolean };
}

/** Every action an endpoint can declare. */
export type Action = keyof typeof ACTIONS;

type Rule =
  | { scope: "app"; min: AppRole; write: boolean }
  | { scope: "instance"; min: InstanceRole; write: boolean }
  | { scope: "self"; write: boolean };

/**
 * The action table. `app` actions need the minimum app role in the resource's app (instance
 * owners and admins act as app admins); `instance` actions need the minimum instance role;
 * `self` actions only need a signed-in principal. `write` actions are refused to read-only keys.
 */
export const ACTIONS = {
  "me.read": { scope: "self", write: false },
  "session.end": { scope: "self", write: true },
  "api_key.manage": { scope: "self", write: true },
  "app.list": { scope: "self", write: false },
  "app.read": { scope: "app", min: "viewer", write: false },
  "app.create": { scope: "instance", min: "admin", write: true },
  "app.write": { scope: "app", min: "admin", write: true },
  "app.delete": { scope: "app", min: "admin", write: true },
  "domain.read": { scope: "app", min: "viewer", write: false },
  "domain.write": { scope: "app", min: "admin", write: true },
  "script.write": { scope: "app", min: "editor", write: true },
  "schedule.read": { scope: "app", min: "viewer", write: false },
  "schedule.write": { scope: "app", min: "editor", write: true },
  "logs.read": { scope: "app", min: "viewer", write: false },
  "script.read": { scope: "app", min: "viewer", write: false },
  "script.deploy": { scope: "app", min: "editor", write: true },
  "script.execute": { scope: "app", min: "editor", write: true },
  "route.read": { scope: "app", min: "viewer", write: false },
  "route.write": { scope: "app", min: "editor", write: true },
  "member.read": { scope: "app", min: "viewer", write: false },
  "member.write": { scope: "app", min: "admin", write: true },
  "audit.read_app": { scope: "app", min: "admin", write: false },
  "audit.read": { scope: "instance", min: "admin", write: false },
  "user.read": { scope: "instance", min: "admin", write: false },
  "user.write": { scope: "instance", min: "admin", write: true },
  "system.read": { scope: "instance", min: "admin", write: false },
  // The backup holds every secret and the key that opens them: owners only, never read-only keys.
  "system.backup": { scope: "instance", min: "owner", write: true },
} as const satisfies Record<string, Rule>;

/** What an action applies to. */
export interface Resource {
  /** The app of an `app` action. */
  appId?: string;
  /** The user a `user.*` action touches: reading or editing oneself needs no admin role. */
  userId?: string;
  /** Owners alone create, edit or grant owners: the target's current and requested roles. */
  targetRole?: InstanceRole;
  newRole?: InstanceRole;
  /** A self-edit that changes role or active flag is not a plain self-edit. */
  privileged?: boolean;
  /**
   * The action creates or changes a credential (a password, a user who can sign in): only a
   * signed-in session may, never an API key, so a key cannot turn itself into a session.
   */
  credentials?: boolean;
}

/**
 * The outcome: `allow`; `unauthenticated` (401); `hidden` — the app does not exist for this
 * principal (404, so membership is not disclosed); `forbidden` (403); `session_required` (403,
 * API keys cannot manage keys nor create or change credentials).
 */
export type Decision = "allow" | "unauthenticated" | "hidden" | "forbidden" | "session_required";

const instanceRank: Record<InstanceRole, number> = { member: 0, admin: 1, owner: 2 };
const appRank: Record<AppRole, number> = { viewer: 0, editor: 1, admin: 2 };

/** The role a principal effectively holds in an app, or null when the app is invisible to it. */
export function effectiveAppRole(p: Principal, appId: string): AppRole | null {
  if (p.key?.appId && p.key.appId !== appId) return null;
  const role: AppRole | null = instanceRank[p.instanceRole] >= instanceRank.admin
    ? "admin"
    : p.appRoles[appId] ?? null;
  if (role !== null && p.key?.readOnly) return "viewer";
  return role;
}

/** Decides whether `p` may perform `action` on `resource`; pure. */
export function decide(p: Principal | null, action: Action, resource: Resource = {}): Decision {
  if (p === null) return "unauthenticated";
  const rule: Rule = ACTIONS[action];
  const sessionOnly = action === "api_key.manage" || resource.credentials === true;
  if (sessionOnly && p.kind !== "session") return "session_required";
  if (rule.write && p.key?.readOnly && action !== "session.end") return "forbidden";
  if (rule.scope === "self") return "allow";
  if (rule.scope === "app") {
    const role = resource.appId === undefined ? null : effectiveAppRole(p, resource.appId);
    if (role === null) return "hidden";
    return appRank[role] >= appRank[rule.min] ? "allow" : "forbidden";
  }
  if (resource.userId === p.userId && !resource.privileged && !p.key?.appId) return "allow";
  if (p.key?.appId) return "forbidden";
  if (instanceRank[p.instanceRole] < instanceRank[rule.min]) return "forbidden";
  const touchesOwner = resource.targetRole === "owner" || resource.newRole === "owner";
  if (touchesOwner && rule.write && p.instanceRole !== "owner") return "forbidden";
  return "allow";
}

/** True when `decide` allows the action. */
export function can(p: Principal | null, action: Action, resource: Resource = {}): boolean {
  return decide(p, action, resource) === "allow";
}

/** The ids of the apps a principal can see, or null for every app. */
export function visibleAppIds(p: Principal): string[] | null {
  const all = instanceRank[p.instanceRole] >= instanceRank.admin;
  const ids = all ? null : Object.keys(p.appRoles);
  if (!p.key?.appId) return ids;
  return ids === null || ids.includes(p.key.appId) ? [p.key.appId] : [];
}

/**
 * Enforces `action` on `resource`: returns the principal when allowed, throws the typed error
 * otherwise (401 `unauthorized`; 404 `resource.notFound` or `app_not_found` when the app is
 * hidden from the caller; 403 `session_required` or `forbidden`).
 */
export function assertCan(
  p: Principal | null,
  action: Action,
  resource: Resource & { notFound?: ApiError } = {},
): Principal {
  return refuse(decide(p, action, resource), action, resource.notFound) ?? p!;
}

/**
 * The part of `action` that holds whatever the resource: signed in, a session where only a
 * session may act, and no writing with a read-only key. Front doors check it before parsing a
 * body; the service then decides on the resource itself with `assertCan`.
 */
export function assertMayAttempt(p: Principal | null, action: Action): Principal {
  const rule: Rule = ACTIONS[action];
  const d = decide(p, action, rule.scope === "app" ? {} : { userId: p?.userId });
  // An app action without its app decides `hidden`, and a self-edit may still be allowed.
  return refuse(d === "hidden" ? "allow" : d, action) ?? p!;
}

/** The decisions an action can answer with, whatever the caller (for the API's documentation). */
export function possibleRefusals(action: Action): Set<Decision> {
  const rule: Rule = ACTIONS[action];
  const out = new Set<Decision>(["unauthenticated"]);
  if (action === "api_key.manage") out.add("session_required");
  // A read-only key is refused a write, unless the action needs a session anyway (then that).
  if (rule.write && action !== "session.end" && action !== "api_key.manage") out.add("forbidden");
  if (rule.scope === "app") out.add("hidden");
  // Every role an app's member can hold is at least a viewer's.
  if (rule.scope === "app" && rule.min !== "viewer") out.add("forbidden");
  if (rule.scope === "instance") out.add("forbidden");
  return out;
}

function refuse(d: Decision, action: Action, notFound?: ApiError): null {
  switch (d) {
    case "allow":
      return null;
    case "unauthenticated":
      throw new ApiError("unauthorized", "Sign in or send a valid bearer token or API key");
    case "hidden":
      throw notFound ?? new ApiError("app_not_found", "No such app");
    case "session_required":
      throw new ApiError(
        "session_required",
        `Only a signed-in session may do this; API keys cannot: ${action}`,
        { action },
      );
    case "forbidden":
      throw new ApiError("forbidden", `Not allowed: ${action}`, { action });
  }
}
