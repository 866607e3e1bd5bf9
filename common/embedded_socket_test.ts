/** @module The embedded database's socket server: one backend shared by two clients, transactions kept apart. */

import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { serveEmbeddedSocket } from "./embedded_socket.ts";
import { readTemplate } from "./embedded_template.ts";

Deno.test("embedded socket - a second client waits for the first one's transaction, and a client gone mid-transaction is rolled back", async () => {
  const tpl = await readTemplate();
  const db = await PGlite.create({
    loadDataDir: tpl ? new Blob([tpl as Uint8Array<ArrayBuffer>]) : undefined,
  });
  const server = serveEmbeddedSocket(db, { hostname: "127.0.0.1", maxConnections: 3 });
  const client = () =>
    postgres({
      host: "127.0.0.1",
      port: server.port,
      user: "postgres",
      database: "postgres",
      max: 1,
      prepare: false,
      onnotice: () => {},
    });
  const a = client(), b = client();
  try {
    await a`create table t (v int)`;
    // A reply larger than a socket write takes at once arrives whole.
    const [{ big }] = await a`select repeat('x', 3000000) as big`;
    assert.equal(big.length, 3_000_000);
    const order: string[] = [];
    let seenByB: unknown;
    let bRead: Promise<void> | undefined;
    await a.begin(async (tx) => {
      await tx`insert into t values (1)`;
      bRead = b`select count(*)::int as n from t`.then((r) => {
        order.push("b read");
        seenByB = r[0].n;
      });
      await new Promise((r) => setTimeout(r, 200));
      await tx`insert into t values (2)`;
      order.push("a commits");
    });
    await bRead;
    assert.deepEqual(order, ["a commits", "b read"]);
    assert.equal(seenByB, 2);
    // A client that goes away inside a transaction: its work is undone, the other goes on.
    const c = client();
    await c`begin`;
    await c`insert into t values (3)`;
    await c.end({ timeout: 0 });
    const rows = await b`select count(*)::int as n from t`;
    assert.equal(rows[0].n, 2);
  } finally {
    await a.end({ timeout: 1 });
    await b.end({ timeout: 1 });
    await server.stop();
    await db.close();
  }
});
