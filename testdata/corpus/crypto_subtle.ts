/**
 * @module Webhook verification with `crypto.subtle`: HMAC-SHA256 signatures checked in constant
 * time, a SHA-256 digest endpoint, and signing with a key taken from `env`.
 */

const enc = new TextEncoder();

function toHex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return null;
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

interface Env {
  WEBHOOK_SECRET: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/sha256") {
      const digest = await crypto.subtle.digest(
        "SHA-256",
        enc.encode(url.searchParams.get("text") ?? ""),
      );
      return new Response(toHex(digest));
    }
    const key = await hmacKey(env.WEBHOOK_SECRET);
    if (url.pathname === "/sign" && request.method === "POST") {
      const sig = await crypto.subtle.sign("HMAC", key, enc.encode(await request.text()));
      return new Response(toHex(sig), { headers: { "x-signature-alg": "hmac-sha256" } });
    }
    if (url.pathname === "/webhook" && request.method === "POST") {
      const signature = fromHex((request.headers.get("x-signature") ?? "").replace(/^sha256=/, ""));
      const body = await request.text();
      // verify() compares in constant time.
      const ok = signature !== null &&
        await crypto.subtle.verify("HMAC", key, signature, enc.encode(body));
      if (!ok) return Response.json({ ok: false, error: "bad signature" }, { status: 401 });
      return Response.json({ ok: true, event: JSON.parse(body).type });
    }
    return new Response("not found", { status: 404 });
  },
};
