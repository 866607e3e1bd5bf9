/**
 * @module A bare process for the memory breakdown (`bench/memory.ts`): `deno` alone, or PGlite in
 * a Worker-free process opened like the embedded database (template data directory, the same
 * PostgreSQL settings) after 1,000 queries. Prints `ready` and waits to be stopped.
 */
if (import.meta.main) {
  const [mode, dir] = Deno.args;
  if (mode === "pglite") {
    // Imported here, so the bare `deno` figure loads none of it.
    const { PGlite } = await import("@electric-sql/pglite");
    const { EMBEDDED_POSTGRESQL_CONF } = await import("../common/embedded_settings.ts");
    const { unpackTemplate } = await import("../common/embedded_template.ts");
    await unpackTemplate(`${dir}/pgdata`);
    const db = await PGlite.create({
      dataDir: `${dir}/pgdata`,
      postgresqlconf: [...EMBEDDED_POSTGRESQL_CONF],
    });
    for (let i = 0; i < 1000; i++) await db.query("select $1::int + 1 as n", [i]);
  }
  console.log("ready");
  await new Promise((r) => setTimeout(r, 120_000));
}
