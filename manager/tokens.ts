/**
 * @module Secret tokens: session and setup tokens (32 random bytes) and API keys
 * (`pc_<prefix>_<secret>`), their SHA-256 digests, and constant-time comparison of digests.
 */
import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "../common/hash.ts";

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh opaque token (32 random bytes, base64url) for sessions and first-run setup. */
export function newToken(): string {
  const buf = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...buf)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The stored form of a token: hex SHA-256 (tokens are random, so no salt or stretching). */
export function tokenHash(token: string): Promise<string> {
  return sha256Hex(token);
}

/** Compares two hex digests in constant time. */
export function digestsEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A parsed API key. */
export interface ApiKeyParts {
  prefix: string;
  secret: string;
}

const keyRe = /^pc_([0-9a-f]{12})_([0-9a-f]{64})$/;

/** Creates a new API key: the full key (shown once) and its parts. */
export function newApiKey(): ApiKeyParts & { key: string } {
  const prefix = randomHex(6);
  const secret = randomHex(32);
  return { key: `pc_${prefix}_${secret}`, prefix, secret };
}

/** Parses `pc_<prefix>_<secret>`; null when the shape is wrong. */
export function parseApiKey(key: string): ApiKeyParts | null {
  const m = keyRe.exec(key);
  return m ? { prefix: m[1], secret: m[2] } : null;
}
