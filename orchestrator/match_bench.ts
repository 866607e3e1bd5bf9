/** @module Micro-benchmark: host and route matching cost must not grow with table size. */

import { buildHostTable, type HostClaim } from "./host_table.ts";
import { buildRouteTable, type RouteEntry } from "./route_table.ts";

/** Builds `n` claims of mixed kinds; the looked-up names are always present. */
function claims(n: number): HostClaim[] {
  const out: HostClaim[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    const pattern = kind === 0
      ? `app${i}.example.com`
      : kind === 1
      ? `{tenant}.s${i}.example.org`
      : `*.w${i}.example.net`;
    out.push({ appId: `a${i}`, pattern });
  }
  return out;
}

const hostLookups = ["app3.example.com", "acme.s4.example.org", "x.y.w5.example.net", "no.pe.test"];

function benchHosts(table: ReturnType<typeof buildHostTable>): void {
  for (const host of hostLookups) {
    if (table.match(host) === null && host !== "no.pe.test") throw new Error(`missed ${host}`);
  }
}

const hostSmall = buildHostTable(claims(10));
const hostLarge = buildHostTable(claims(10_000));
Deno.bench("host match, 10 claims", { group: "host", baseline: true }, () => benchHosts(hostSmall));
Deno.bench("host match, 10k claims", { group: "host" }, () => benchHosts(hostLarge));

function route(appId: string, i: number, method: string, path: string): RouteEntry {
  return { id: `${appId}-${i}`, appId, scriptId: "s", method, path, host: null };
}

/** The routes every lookup needs, in app `a0`. */
function baseRoutes(): RouteEntry[] {
  return [
    route("a0", 0, "GET", "/users/:id"),
    route("a0", 1, "GET", "/users/me"),
    route("a0", 2, "GET", "/static/x"),
    route("a0", 3, "ANY", "/files/*"),
    route("a0", 4, "GET", "/api/v3/items/:item"),
    route("a0", 5, "POST", "/api/v3/items"),
  ];
}

/** Filler routes of all shapes, spread round-robin over `apps` apps (app `a0` first). */
function filler(n: number, apps: number): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (let i = 0; i < n; i++) {
    const appId = `a${i % apps}`;
    const path = [`/r${i}/:id`, `/users/:id/x${i}`, `/files/f${i}/*`, `/api/v3/items/:item/p${i}`][
      i % 4
    ];
    out.push(route(appId, i + 10, i % 5 === 0 ? "ANY" : "GET", path));
  }
  return out;
}

const routeLookups: [string, string][] = [
  ["GET", "/users/42"],
  ["GET", "/static/x"],
  ["GET", "/files/a/b/c.txt"],
  ["HEAD", "/api/v3/items/7"],
  ["GET", "/nope/nope"],
];

function benchRoutes(table: ReturnType<typeof buildRouteTable>): void {
  for (const [method, path] of routeLookups) {
    const m = table.match("a0", method, path, "localhost");
    if (m === null && path !== "/nope/nope") throw new Error(`missed ${path}`);
  }
}

const routeSmall = buildRouteTable([...baseRoutes(), ...filler(4, 1)]);
const routeSpread = buildRouteTable([...baseRoutes(), ...filler(100_000, 1000)]);
const routeOneApp = buildRouteTable([...baseRoutes(), ...filler(100_000, 1)]);
Deno.bench("route match, 10 routes", { group: "route", baseline: true }, () => {
  benchRoutes(routeSmall);
});
Deno.bench("route match, 100k routes over 1000 apps", { group: "route" }, () => {
  benchRoutes(routeSpread);
});
Deno.bench("route match, 100k routes in one app", { group: "route" }, () => {
  benchRoutes(routeOneApp);
});
