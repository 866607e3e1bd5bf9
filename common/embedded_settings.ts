/** @module The embedded database's PostgreSQL settings (PGlite), apart from its Worker. */

/**
 * PostgreSQL settings for a small machine, written to postgresql.conf at every open. PGlite's
 * defaults (shared_buffers=128MB, …) cost ~130 MB more RSS after a few thousand writes; one
 * backend serving PiCloud's small tables needs no more: pages it does not cache come from the
 * operating system's file cache. Measured on a bare PGlite (3,000 inserts, 300 selects): 8 MB of
 * shared buffers instead of 2 MB cost ~7 MB more RSS, and PostgreSQL's default of 100 connections
 * (shared memory sized for them) ~6 MB more than the 5 here; PGlite runs one backend.
 */
export const EMBEDDED_POSTGRESQL_CONF: readonly string[] = [
  "shared_buffers=2MB",
  "work_mem=1MB",
  "maintenance_work_mem=4MB",
  "wal_buffers=64kB",
  "temp_buffers=1MB",
  "max_connections=5",
];
