/** @module Per-app route tables: method + path (+ optional host) matched through a segment trie. */
// Hand-written: Hono's routers rank matches by insertion order, not static > param > wildcard.

import { type DomainPattern, parseDomainPattern } from "./domain_pattern.ts";
import { compareDomainSpecificity, matchDomainPattern } from "./host_table.ts";

/** A route as stored in the `routes` table. */
export interface RouteEntry {
  id: string;
  appId: string;
  scriptId: string;
  /** `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY`. */
  method: string;
  /** Path pattern: static segments, `:name`, and an optional trailing `*`. */
  path: string;
  /** Optional domain pattern restricting the route to matching hosts. */
  host: string | null;
}

/** The outcome of a route lookup. */
export type RouteMatch =
  | { route: RouteEntry; params: Record<string, string> }
  | { methodNotAllowed: true; allow: string[] };

/** An immutable set of per-app route tries. */
export interface RouteTable {
  /** Finds the best route for a request; `host` is normalised, `path` is the URL pathname. */
  match(appId: string, method: string, path: string, host: string): RouteMatch | null;
}

/** One parsed path segment. */
export type RouteSegment =
  | { type: "static"; value: string }
  | { type: "param"; name: string }
  | { type: "wildcard" };

/** Thrown for an invalid route path pattern. */
export class RoutePathError extends Error {
  /** Stable error code. */
  readonly code = "invalid_route_path";
  /** HTTP status for the JSON error mapper. */
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "RoutePathError";
  }
}

/** Thrown for a method outside the supported set. */
export class RouteMethodError extends Error {
  /** Stable error code. */
  readonly code = "invalid_route_method";
  /** HTTP status for the JSON error mapper. */
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "RouteMethodError";
  }
}

/** Supported route methods, in the order used for `Allow`. */
export const ROUTE_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"];
const MAX_PATH_LENGTH = 1024;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates a path pattern and returns its segments; throws `RoutePathError`. */
export function validateRoutePath(path: string): RouteSegment[] {
  if (!path.startsWith("/")) throw new RoutePathError("Route path must start with /");
  if (path.length > MAX_PATH_LENGTH) {
    throw new RoutePathError(`Route path must be at most ${MAX_PATH_LENGTH} characters`);
  }
  if (path === "/") return [];
  const raw = path.slice(1).split("/");
  const names = new Set<string>();
  return raw.map((seg, i): RouteSegment => {
    if (seg === "") throw new RoutePathError("Route path must not contain empty segments");
    if (/[\s?#\p{Cc}]/u.test(seg)) {
      throw new RoutePathError(`Route segment "${seg}" contains invalid characters`);
    }
    if (seg === "." || seg === "..") {
      throw new RoutePathError("Route path must not contain . or ..");
    }
    if (seg === "*") {
      if (i !== raw.length - 1) throw new RoutePathError("Wildcard * is only allowed last");
      return { type: "wildcard" };
    }
    if (seg.includes("*")) throw new RoutePathError("Wildcard * must be a whole segment");
    if (seg.startsWith(":")) {
      const name = seg.slice(1);
      if (!PARAM_NAME.test(name)) throw new RoutePathError(`Invalid parameter name "${name}"`);
      if (names.has(name)) throw new RoutePathError(`Parameter "${name}" is used more than once`);
      names.add(name);
      return { type: "param", name };
    }
    // Request pathnames arrive percent-encoded, so compare against the encoded form.
    return { type: "static", value: seg.replace(/[^\x21-\x7e]/gu, encodeURIComponent) };
  });
}

/** The conflict key of a route: method, path with parameter names erased, and host shape. */
export function routeShapeKey(method: string, path: string, host: string | null): string {
  const m = checkMethod(method);
  const segs = validateRoutePath(path).map((s) =>
    s.type === "static" ? s.value : s.type === "param" ? ":" : "*"
  );
  const hostKey = host === null ? "" : ` @${parseDomainPattern(host).shapeKey}`;
  return `${m} /${segs.join("/")}${hostKey}`;
}

interface Leaf {
  route: RouteEntry;
  method: string;
  paramNames: string[];
  host: DomainPattern | null;
  /** Rank of the host restriction within its node; higher is more specific, 0 = no host. */
  hostRank: number;
}

interface PathNode {
  statics: Map<string, PathNode>;
  param: PathNode | null;
  leaves: Leaf[];
  wildcard: Leaf[];
}

function newNode(): PathNode {
  return { statics: new Map(), param: null, leaves: [], wildcard: [] };
}

/** Builds per-app tries; for duplicate shape keys within an app the first route wins. */
export function buildRouteTable(routes: readonly RouteEntry[]): RouteTable {
  const apps = new Map<string, PathNode>();
  const seen = new Set<string>();
  const touched = new Set<Leaf[]>();
  for (const route of routes) {
    const key = `${route.appId}\n${routeShapeKey(route.method, route.path, route.host)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let node = apps.get(route.appId);
    if (!node) apps.set(route.appId, node = newNode());
    const paramNames: string[] = [];
    let list: Leaf[] | null = null;
    for (const seg of validateRoutePath(route.path)) {
      if (seg.type === "wildcard") list = node.wildcard;
      else if (seg.type === "param") {
        paramNames.push(seg.name);
        node = node.param ??= newNode();
      } else {
        let next = node.statics.get(seg.value);
        if (!next) node.statics.set(seg.value, next = newNode());
        node = next;
      }
    }
    list ??= node.leaves;
    const host = route.host === null ? null : parseDomainPattern(route.host);
    list.push({ route, method: checkMethod(route.method), paramNames, host, hostRank: 0 });
    touched.add(list);
  }
  for (const list of touched) rankHosts(list);
  return {
    match(appId, method, path, host) {
      const root = apps.get(appId);
      if (!root || !path.startsWith("/")) return null;
      const segs = path === "/" ? [] : path.slice(1).split("/");
      const ctx: Ctx = { method: method.toUpperCase(), host, allow: null };
      const found = walk(root, segs, 0, [], ctx);
      if (found) return found;
      if (ctx.allow === null) return null;
      return { methodNotAllowed: true, allow: ROUTE_METHODS.filter((m) => ctx.allow?.has(m)) };
    },
  };
}

function checkMethod(method: string): string {
  const m = method.toUpperCase();
  if (!ROUTE_METHODS.includes(m)) throw new RouteMethodError(`Unsupported method "${method}"`);
  return m;
}

/** Sorts a node's leaves most specific host first and assigns comparable ranks. */
function rankHosts(list: Leaf[]): void {
  list.sort((a, b) => compareHosts(b.host, a.host));
  let rank = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const leaf = list[i];
    if (leaf.host === null) continue;
    const next = list[i + 1];
    if (!next || compareHosts(leaf.host, next.host) !== 0) rank++;
    leaf.hostRank = rank;
  }
}

function compareHosts(a: DomainPattern | null, b: DomainPattern | null): number {
  if (a === null || b === null) return (a === null ? 0 : 1) - (b === null ? 0 : 1);
  return compareDomainSpecificity(a, b);
}

interface Ctx {
  method: string;
  host: string;
  /** Methods of host-applicable routes whose path matched; null if no path matched. */
  allow: Set<string> | null;
}

/** Depth-first, static before param before wildcard; backtracks when a branch has no route. */
function walk(
  node: PathNode,
  segs: string[],
  i: number,
  captures: string[],
  ctx: Ctx,
): RouteMatch | null {
  if (i === segs.length) {
    const found = pick(node.leaves, captures, ctx);
    if (found) return found;
  } else {
    const next = node.statics.get(segs[i]);
    if (next) {
      const found = walk(next, segs, i + 1, captures, ctx);
      if (found) return found;
    }
    if (node.param && segs[i] !== "") {
      captures.push(segs[i]);
      const found = walk(node.param, segs, i + 1, captures, ctx);
      captures.pop();
      if (found) return found;
    }
  }
  if (node.wildcard.length === 0) return null;
  return pick(node.wildcard, [...captures, segs.slice(i).join("/")], ctx);
}

/** Picks the best leaf: most specific host first, then exact method > GET-for-HEAD > ANY. */
function pick(leaves: Leaf[], captures: string[], ctx: Ctx): RouteMatch | null {
  let best: Leaf | null = null;
  let bestScore = 0;
  let bestHostParams: Record<string, string> = {};
  for (const leaf of leaves) {
    if (best && leaf.hostRank < best.hostRank) break;
    const hostParams = leaf.host === null ? {} : matchDomainPattern(leaf.host, ctx.host);
    if (hostParams === null) continue;
    const score = methodScore(leaf.method, ctx.method);
    if (score === 0) {
      (ctx.allow ??= new Set()).add(leaf.method);
      if (leaf.method === "GET") ctx.allow.add("HEAD");
      continue;
    }
    if (score > bestScore) [best, bestScore, bestHostParams] = [leaf, score, hostParams];
  }
  if (!best) return null;
  const params = bestHostParams;
  best.paramNames.forEach((name, k) => params[name] = decode(captures[k]));
  if (captures.length > best.paramNames.length) params["*"] = decode(captures[captures.length - 1]);
  return { route: best.route, params };
}

function methodScore(routeMethod: string, method: string): number {
  if (routeMethod === method) return 3;
  if (routeMethod === "GET" && method === "HEAD") return 2;
  return routeMethod === "ANY" ? 1 : 0;
}

function decode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
