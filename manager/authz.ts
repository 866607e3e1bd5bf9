/**
 * @module Authorization: the one pure decision `can(principal, action, resource)` over plain data,
 * and the table of every action with the minimum role it needs.
 */

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
