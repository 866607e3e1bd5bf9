/** @module Precomputed host → app table: a label trie matched right to left in O(labels). */

import { type DomainPattern, parseDomainPattern } from "./domain_pattern.ts";

/** One app's claim on a domain pattern. */
export interface HostClaim {
  /** The claiming app. */
  appId: string;
  /** A normalised domain pattern (see `parseDomainPattern`). */
  pattern: string;
}

/** The result of a successful host lookup. */
export interface HostMatch {
  /** The app that claimed the matched pattern. */
  appId: string;
  /** The matched pattern as claimed. */
  pattern: string;
  /** Values of the pattern's `{name}` labels. */
  params: Record<string, string>;
}

/** An immutable lookup table built from all claims. */
export interface HostTable {
  /** Finds the most specific claim for a normalised host (see `normalizeHost`), or null. */
  match(host: string): HostMatch | null;
}

interface Terminal {
  appId: string;
  pattern: string;
  /** Parameter names in right-to-left order, matching capture order. */
  paramNamesRtl: string[];
}

interface Node {
  literal: Map<string, Node>;
  param: Node | null;
  /** Claim ending here (all labels consumed). */
  end: Terminal | null;
  /** Claim whose `*` covers one or more remaining labels. */
  wildcard: Terminal | null;
}

function newNode(): Node {
  return { literal: new Map(), param: null, end: null, wildcard: null };
}

/** Builds the host table; for duplicate shape keys the first claim wins. */
export function buildHostTable(claims: readonly HostClaim[]): HostTable {
  const exact = new Map<string, HostMatch>();
  const root = newNode();
  const seen = new Set<string>();
  for (const claim of claims) {
    const parsed = parseDomainPattern(claim.pattern);
    if (seen.has(parsed.shapeKey)) continue;
    seen.add(parsed.shapeKey);
    if (parsed.kind === "exact") {
      exact.set(parsed.pattern, { appId: claim.appId, pattern: parsed.pattern, params: {} });
      continue;
    }
    insert(root, parsed, claim.appId);
  }
  return {
    match(host: string): HostMatch | null {
      const hit = exact.get(host);
      if (hit) return { appId: hit.appId, pattern: hit.pattern, params: {} };
      const labels = splitHost(host);
      if (labels === null) return null;
      const captures: string[] = [];
      const found = walk(root, labels, labels.length - 1, captures);
      return found && { appId: found.appId, pattern: found.pattern, params: found.params };
    },
  };
}

function insert(root: Node, parsed: DomainPattern, appId: string): void {
  const labels = parsed.pattern.split(".");
  const paramNamesRtl: string[] = [];
  const terminal: Terminal = { appId, pattern: parsed.pattern, paramNamesRtl };
  let node = root;
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i];
    if (label === "*") {
      node.wildcard ??= terminal;
      return;
    }
    if (label.startsWith("{")) {
      paramNamesRtl.push(label.slice(1, -1));
      node = node.param ??= newNode();
    } else {
      let next = node.literal.get(label);
      if (!next) node.literal.set(label, next = newNode());
      node = next;
    }
  }
  node.end ??= terminal;
}

/** Depth-first, literal before param before wildcard; backtracks on failure. */
function walk(node: Node, labels: string[], i: number, captures: string[]): HostMatch | null {
  if (i < 0) return node.end ? finish(node.end, captures) : null;
  const literal = node.literal.get(labels[i]);
  if (literal) {
    const found = walk(literal, labels, i - 1, captures);
    if (found) return found;
  }
  if (node.param) {
    captures.push(labels[i]);
    const found = walk(node.param, labels, i - 1, captures);
    captures.pop();
    if (found) return found;
  }
  return node.wildcard ? finish(node.wildcard, captures) : null;
}

function finish(t: Terminal, captures: string[]): HostMatch {
  const params: Record<string, string> = {};
  for (let k = 0; k < t.paramNamesRtl.length; k++) params[t.paramNamesRtl[k]] = captures[k];
  return { appId: t.appId, pattern: t.pattern, params };
}

function splitHost(host: string): string[] | null {
  if (host === "" || host.length > 253) return null;
  const labels = host.split(".");
  for (const l of labels) if (l === "") return null;
  return labels;
}

/** Matches a normalised host against one parsed pattern with the table's semantics. */
export function matchDomainPattern(
  parsed: DomainPattern,
  host: string,
): Record<string, string> | null {
  const labels = splitHost(host);
  if (labels === null) return null;
  const pattern = parsed.pattern.split(".");
  const params: Record<string, string> = {};
  let h = labels.length - 1;
  for (let p = pattern.length - 1; p >= 0; p--, h--) {
    const label = pattern[p];
    if (label === "*") return h >= 0 ? params : null;
    if (h < 0) return null;
    if (label.startsWith("{")) params[label.slice(1, -1)] = labels[h];
    else if (label !== labels[h]) return null;
  }
  return h < 0 ? params : null;
}

/** Orders patterns by specificity as the table does: positive when `a` is more specific. */
export function compareDomainSpecificity(a: DomainPattern, b: DomainPattern): number {
  const ra = rankVector(a);
  const rb = rankVector(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    if (ra[i] !== rb[i]) return ra[i] - rb[i];
  }
  return ra.length - rb.length;
}

function rankVector(parsed: DomainPattern): number[] {
  return parsed.pattern.split(".").reverse().map((l) => l === "*" ? 0 : l.startsWith("{") ? 1 : 2);
}
