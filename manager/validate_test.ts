import assert from "node:assert/strict";
import { Hono } from "hono";
import { z } from "zod";
import { onApiError } from "../common/errors.ts";
import { jsonBody } from "./validate.ts";

Deno.test("jsonBody() - rejects invalid UTF-8, bad JSON and schema failures with 400", async (t) => {
  const app = new Hono();
  app.onError(onApiError(() => {}));
  app.post("/", async (c) => c.json(await jsonBody(c, z.strictObject({ name: z.string() }))));
  const cases: [string, BodyInit, number, string | null][] = [
    ["valid", JSON.stringify({ name: "café" }), 200, null],
    [
      "invalid UTF-8",
      new Uint8Array([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      400,
      "not valid UTF-8",
    ],
    ["malformed JSON", "{", 400, "not valid JSON"],
    ["unknown field", JSON.stringify({ name: "a", x: 1 }), 400, "invalid"],
    ["wrong type", JSON.stringify({ name: 1 }), 400, "invalid"],
  ];
  for (const [name, body, status, message] of cases) {
    await t.step(name, async () => {
      const res = await app.request("/", { method: "POST", body });
      assert.equal(res.status, status);
      const json = await res.json();
      if (message) {
        assert.equal(json.error.code, "invalid_request");
        assert.match(json.error.message, new RegExp(message));
      } else assert.equal(json.name, "café");
    });
  }
});
