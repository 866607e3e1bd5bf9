/** A PiCloud-like parent for `orphans_test.ts`: starts one executor, and so a spare, prints both pids once both are paused, then waits to be killed. */
import { createExecutorPool } from "../mod.ts";
import { get, opts, script } from "../../testing/executor.ts";

const [stateDir, socketDir] = Deno.args;
let spare = 0;
const pool = createExecutorPool({
  socketDir,
  stateDir,
  log: (_level, msg, fields) => {
    if (msg === "Spare executor started") spare = fields?.pid as number;
  },
});
const inv = await pool.fetch(
  script("orphan", `export default { fetch: () => new Response("hi") };`),
  get(),
  opts(),
);
await inv.response.text();
const pid = pool.stats()[0].pid;
const paused = (p: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${p}/stat`).split(") ")[1].split(" ")[0] === "T";
  } catch {
    return false;
  }
};
for (let i = 0; i < 200 && !(paused(pid) && spare > 0 && paused(spare)); i++) {
  await new Promise((r) => setTimeout(r, 50));
}
console.log(pid, spare);
await new Promise(() => {});
