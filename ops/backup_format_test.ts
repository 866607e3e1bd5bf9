/** @module Tests of the backup file format: a round trip, and every kind of unusable file refused. */
import assert from "node:assert/strict";
import { createTarGzip } from "nanotar";
import { BACKUP_FORMAT_VERSION, packBackup, unpackBackup } from "./backup_format.ts";
import { BackupError } from "./errors.ts";

const database = new TextEncoder().encode("not really a data directory, but bytes\n".repeat(100));
const isInvalid = (e: unknown) => e instanceof BackupError && e.code === "backup_invalid";

Deno.test("packBackup() / unpackBackup() - a round trip keeps the database, the key and the manifest", async () => {
  const at = new Date("2026-11-30T10:00:00Z");
  const { bytes, manifest } = await packBackup({
    database,
    schemaVersion: 6,
    secretKey: { source: "file", text: "a2V5\n" },
    createdAt: at,
  });
  const back = await unpackBackup(bytes);
  assert.deepEqual(back.database, database);
  assert.equal(back.secretKey, "a2V5\n");
  assert.deepEqual(back.manifest, manifest);
  assert.equal(manifest.format_version, BACKUP_FORMAT_VERSION);
  assert.equal(manifest.created_at, at.toISOString());
  assert.equal(manifest.schema_version, 6);

  const env = await packBackup({ database, schemaVersion: 6, secretKey: { source: "env" } });
  const noKey = await unpackBackup(env.bytes);
  assert.equal(noKey.secretKey, null);
  assert.equal(noKey.manifest.secret_key.source, "env");
});

Deno.test("unpackBackup() - refuses what is not a usable backup", async (t) => {
  const { bytes, manifest } = await packBackup({
    database,
    schemaVersion: 6,
    secretKey: { source: "file", text: "k" },
  });
  const tgz = (files: { name: string; data: string | Uint8Array }[]) => createTarGzip(files);
  await t.step("not gzip", async () => {
    await assert.rejects(unpackBackup(new TextEncoder().encode("hello")), isInvalid);
  });
  await t.step("truncated", async () => {
    await assert.rejects(unpackBackup(bytes.subarray(0, bytes.byteLength - 200)), isInvalid);
  });
  await t.step("no manifest", async () => {
    await assert.rejects(unpackBackup(await tgz([{ name: "x", data: "y" }])), isInvalid);
  });
  await t.step("another format, or another format version", async () => {
    for (const m of [{ ...manifest, format: "other" }, { ...manifest, format_version: 99 }]) {
      const file = await tgz([
        { name: "manifest.json", data: JSON.stringify(m) },
        { name: "database.tar", data: database },
        { name: "secret.key", data: "k" },
      ]);
      await assert.rejects(unpackBackup(file), isInvalid);
    }
  });
  await t.step("a database that does not match its checksum", async () => {
    const altered = database.slice();
    altered[10] ^= 1;
    const file = await tgz([
      { name: "manifest.json", data: JSON.stringify(manifest) },
      { name: "database.tar", data: altered },
      { name: "secret.key", data: "k" },
    ]);
    await assert.rejects(unpackBackup(file), isInvalid);
  });
  await t.step("a key file the manifest names but the file lacks", async () => {
    const file = await tgz([
      { name: "manifest.json", data: JSON.stringify(manifest) },
      { name: "database.tar", data: database },
    ]);
    await assert.rejects(unpackBackup(file), isInvalid);
  });
});
