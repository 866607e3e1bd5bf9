/** A PiCloud-like parent for `orphans_test.ts`: starts one executor, prints its pid once it is paused, then waits to be killed. */
import { createExecutorPool } from "../mod.ts";
import { get, opts, script } from "../_test_util.ts";

const [stateDir, socketDir] = Deno.args;
const pool = createExecutorPool({ socketDir, stateDir });
const inv = await pool.fetch(
  script("orphan", `export default { fetch: () => new Response("hi") };`),
  get(),
  opts(),
);
await inv.response.text();
const pid = pool.stats()[0].pid;
for (let i = 0; i < 100; i++) {
  const state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[0];
  if (state === "T") break;
  await new Promise((r) => setTimeout(r, 50));
}
console.log(pid);
await new Promise(() => {});
