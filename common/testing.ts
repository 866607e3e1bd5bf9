/**
 * @module Forwarding shim: the database test helpers moved to `testing/db.ts`. Kept only so tests
 * written elsewhere at the same time still compile; delete it once they import `testing/db.ts`.
 */
export * from "../testing/db.ts";
