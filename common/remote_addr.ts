/**
 * @module The client address and scheme of a request: the TCP peer's, or — only when that peer
 * is a configured trusted proxy — what the proxy forwarded (`X-Forwarded-For`, else `Forwarded`;
 * `X-Forwarded-Proto`). The single place that decides who the client is.
 */
import type { Context } from "hono";

/** The client of a request as user code sees it (`InvokeOptions["remoteAddr"]`'s shape). */
export interface RemoteAddr {
  transport: "tcp";
  hostname: string;
  port: number;
}

/** The set of trusted proxies, compiled once from `Config.trustedProxies`. */
export interface TrustedProxies {
  /** True when `addr` (a bare IPv4 or IPv6 address) is a trusted proxy. */
  has(addr: string): boolean;
  /** True when no proxy is trusted: forwarding headers are never read. */
  readonly none: boolean;
}

/** Options of `remoteAddrOf` and `requestScheme`. */
export interface ClientAddrOptions {
  /** Proxies whose forwarding headers are believed; absent: none (the TCP peer is the client). */
  trustedProxies?: TrustedProxies;
}

interface Ip {
  v6: boolean;
  bytes: Uint8Array;
}

/** No proxy trusted. */
export const NO_TRUSTED_PROXIES: TrustedProxies = { has: () => false, none: true };

/**
 * Compiles `loopback`, IPs and CIDRs (as validated by `common/config.ts`) into a matcher; throws
 * on an entry it cannot parse.
 */
export function createTrustedProxies(specs: readonly string[]): TrustedProxies {
  if (specs.length === 0) return NO_TRUSTED_PROXIES;
  const nets: { ip: Ip; bits: number }[] = [];
  for (const spec of specs) {
    if (spec === "loopback") {
      nets.push({ ip: parseIp("127.0.0.0")!, bits: 8 }, { ip: parseIp("::1")!, bits: 128 });
      continue;
    }
    const [addr, bits] = spec.split("/");
    const ip = parseIp(addr);
    if (!ip) throw new Error(`Not an IP address or CIDR: ${spec}`);
    nets.push({ ip, bits: bits === undefined ? ip.bytes.length * 8 : Number(bits) });
  }
  return {
    none: false,
    has(addr) {
      const ip = parseIp(addr);
      return ip !== null && nets.some((n) => inNet(ip, n.ip, n.bits));
    },
  };
}

/**
 * The client of a request served by `Deno.serve` (Hono passes its info as `c.env`; tests have
 * none and get 127.0.0.1). Forwarding headers count only when the peer is a trusted proxy.
 */
export function remoteAddrOf(
  c: Context,
  opts: ClientAddrOptions = {},
): RemoteAddr {
  return remoteAddrFrom(c.env, c.req.raw.headers, opts);
}

/** `remoteAddrOf` from `Deno.serve`'s handler info and the request headers (no Hono context). */
export function remoteAddrFrom(
  serveInfo: unknown,
  headers: Headers,
  opts: ClientAddrOptions = {},
): RemoteAddr {
  const info = serveInfo as { remoteAddr?: { hostname?: string; port?: number } } | undefined;
  const peer = info?.remoteAddr?.hostname ?? "127.0.0.1";
  const port = info?.remoteAddr?.port ?? 0;
  const proxies = opts.trustedProxies ?? NO_TRUSTED_PROXIES;
  // The common case, on every tenant request: no proxy to believe, no address to parse.
  if (proxies.none) return { transport: "tcp", hostname: peer, port };
  const client = clientAddress(peer, headers, proxies);
  return { transport: "tcp", hostname: client, port: client === canonical(peer) ? port : 0 };
}

/**
 * The client address given the TCP peer and the headers: the peer itself unless it is trusted;
 * then the rightmost hop of `X-Forwarded-For` (or, without it, of `Forwarded`) that is not a
 * trusted proxy. Pure.
 */
export function clientAddress(peer: string, headers: Headers, proxies: TrustedProxies): string {
  let client = canonical(peer);
  if (proxies.none || !proxies.has(client)) return client;
  const xff = headers.get("x-forwarded-for");
  const hops = xff !== null ? xff.split(",") : forwardedFor(headers.get("forwarded"));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(stripPort(hops[i].trim()));
    // A trusted proxy that forwarded garbage: the last address it vouched for is the client.
    if (hop === null) return client;
    client = formatIp(hop);
    if (!proxies.has(client)) return client;
  }
  return client;
}

/**
 * The scheme the client used: the request URL's, or `X-Forwarded-Proto` when the peer is a
 * trusted proxy (Caddy terminates TLS and forwards plain HTTP).
 */
export function requestScheme(c: Context, opts: ClientAddrOptions = {}): "http" | "https" {
  const own = new URL(c.req.url).protocol === "https:" ? "https" : "http";
  const proxies = opts.trustedProxies ?? NO_TRUSTED_PROXIES;
  if (proxies.none) return own;
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  if (!proxies.has(canonical(info?.remoteAddr?.hostname ?? "127.0.0.1"))) return own;
  const proto = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return proto === "https" || proto === "http" ? proto : own;
}

/** The key login throttling counts an address under: IPv6 clients by their /64 network. */
export function throttleKeyOf(addr: string): string {
  const ip = parseIp(addr);
  if (!ip || !ip.v6) return addr;
  const net = new Uint8Array(16);
  net.set(ip.bytes.subarray(0, 8));
  return `${formatIp({ v6: true, bytes: net })}/64`;
}

function forwardedFor(header: string | null): string[] {
  if (header === null) return [];
  const out: string[] = [];
  for (const element of header.split(",")) {
    const m = /(?:^|;)\s*for\s*=\s*("([^"]*)"|[^;\s]*)/i.exec(element);
    out.push(m ? (m[2] ?? m[1]) : "");
  }
  return out;
}

/** `1.2.3.4:80` → `1.2.3.4`, `[::1]:80` → `::1`; a bare IPv6 stays whole. */
function stripPort(s: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) return bracketed[1];
  const v4 = /^([0-9.]+):\d+$/.exec(s);
  return v4 ? v4[1] : s;
}

function canonical(addr: string): string {
  const ip = parseIp(addr);
  return ip ? formatIp(ip) : addr;
}

/** Parses IPv4 or IPv6 (zone dropped); IPv4-mapped IPv6 becomes IPv4. Null when invalid. */
function parseIp(s: string): Ip | null {
  s = s.replace(/%.*$/, "");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split(".").map(Number);
    return parts.every((n) => n <= 255) ? { v6: false, bytes: Uint8Array.from(parts) } : null;
  }
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let host: string;
  try {
    host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  // The URL parser writes the canonical form: eight groups or one `::`, embedded IPv4 as hex.
  const [head, tail] = host.includes("::") ? host.split("::") : [host, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff;
  return mapped ? { v6: false, bytes: bytes.slice(12) } : { v6: true, bytes };
}

function formatIp(ip: Ip): string {
  if (!ip.v6) return ip.bytes.join(".");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] << 8) | ip.bytes[i + 1]).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

function inNet(ip: Ip, net: Ip, bits: number): boolean {
  if (ip.v6 !== net.v6) return false;
  for (let i = 0; i < ip.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i] & mask) !== (net.bytes[i] & mask)) return false;
  }
  return true;
}
