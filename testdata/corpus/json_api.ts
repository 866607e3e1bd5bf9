/**
 * @module A JSON API without a framework: parses and validates request bodies by hand, answers
 * 400 on malformed JSON, 415 on another content type, 413 on a body over its limit.
 */

interface Item {
  sku: string;
  qty: number;
  price: number;
}

const MAX_BODY = 4096;

function problem(status: number, title: string): Response {
  return Response.json({ title, status }, {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

function isItem(x: unknown): x is Item {
  const i = x as Item;
  return typeof i?.sku === "string" && Number.isInteger(i.qty) && i.qty > 0 &&
    typeof i.price === "number";
}

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/orders" || req.method !== "POST") return problem(404, "not found");
    if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) {
      return problem(415, "send application/json");
    }
    const text = await req.text();
    if (text.length > MAX_BODY) return problem(413, "body too large");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, "malformed JSON");
    }
    const items = (body as { items?: unknown })?.items;
    if (!Array.isArray(items) || items.length === 0 || !items.every(isItem)) {
      return problem(422, "items must be a non-empty list of { sku, qty, price }");
    }
    const total = items.reduce((sum, i) => sum + i.qty * Math.round(i.price * 100), 0) / 100;
    return Response.json(
      { count: items.length, total, currency: (body as { currency?: string }).currency ?? "EUR" },
      { status: 201, headers: { location: `/orders/${items.length}-${total}` } },
    );
  },
};
