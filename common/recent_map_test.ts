/** @module Tests of the least-recently-used ordered Map. */

import assert from "node:assert/strict";
import { RecentMap } from "./recent_map.ts";

Deno.test("RecentMap - touch moves a key last; set adds last and keeps a replaced key's place", () => {
  const m = new RecentMap<string, number>();
  m.set("a", 1).set("b", 2).set("c", 3);
  assert.equal(m.touch("a"), 1);
  assert.deepEqual([...m.keys()], ["b", "c", "a"]);
  assert.equal(m.touch("a"), 1);
  assert.deepEqual([...m.keys()], ["b", "c", "a"]);
  m.set("b", 20);
  assert.deepEqual([...m.entries()], [["b", 20], ["c", 3], ["a", 1]]);
  assert.equal(m.touch("missing"), undefined);
  assert.deepEqual([...m.keys()], ["b", "c", "a"]);
});

Deno.test("RecentMap - the last key deleted and set again, or touched after clear, is ordered right", () => {
  const m = new RecentMap<string, number>();
  m.set("a", 1).set("b", 2);
  m.delete("b");
  m.set("c", 3);
  m.set("b", 2);
  assert.deepEqual([...m.keys()], ["a", "c", "b"]);
  m.touch("c");
  assert.deepEqual([...m.keys()], ["a", "b", "c"]);
  m.delete("c");
  m.touch("b");
  assert.deepEqual([...m.keys()], ["a", "b"]);
  m.touch("a");
  assert.deepEqual([...m.keys()], ["b", "a"]);
  m.clear();
  m.set("x", 1).set("y", 2);
  m.touch("x");
  assert.deepEqual([...m.keys()], ["y", "x"]);
});
