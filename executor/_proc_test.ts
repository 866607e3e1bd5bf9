import assert from "node:assert/strict";
import { readThreadCpu, ThreadNames } from "./_proc.ts";

/** Renames a thread of this process (Linux lets a process rename its own threads). */
function rename(tid: string, name: string): void {
  Deno.writeTextFileSync(`/proc/self/task/${tid}/comm`, name);
}

/** A thread of the test process other than the main one, so the process keeps its own name. */
function otherThread(): string {
  const tids = [...Deno.readDirSync(`/proc/self/task`)].map((t) => t.name);
  return tids.find((t) => t !== String(Deno.pid))!;
}

Deno.test("proc - a thread's name is trusted only once two reads agree, or once it is worker-n", () => {
  const tid = otherThread();
  const original = Deno.readTextFileSync(`/proc/self/task/${tid}/comm`).trim();
  try {
    // Read as a new thread is before it names itself: its creator's name.
    rename(tid, "picloud-creator");
    const names = new ThreadNames();
    assert.equal(names.read(Deno.pid, tid), "picloud-creator");
    // The thread names itself: the next read sees it, the early name was not kept.
    rename(tid, "worker-42");
    assert.equal(names.read(Deno.pid, tid), "worker-42");
    assert.equal(readThreadCpu(Deno.pid, names)!.get(tid)?.name, "worker-42");
    // worker-n is final at once: it is never read again.
    rename(tid, "picloud-later");
    assert.equal(names.read(Deno.pid, tid), "worker-42");

    // Any other name is kept after two reads agree.
    const other = new ThreadNames();
    assert.equal(other.read(Deno.pid, tid), "picloud-later");
    assert.equal(other.read(Deno.pid, tid), "picloud-later");
    rename(tid, "picloud-renamed");
    assert.equal(other.read(Deno.pid, tid), "picloud-later");
  } finally {
    rename(tid, original);
  }
});

Deno.test("proc - names of threads that ended are forgotten (Linux reuses thread ids)", () => {
  const tid = otherThread();
  const original = Deno.readTextFileSync(`/proc/self/task/${tid}/comm`).trim();
  try {
    const names = new ThreadNames();
    rename(tid, "worker-7");
    assert.equal(readThreadCpu(Deno.pid, names)!.get(tid)?.name, "worker-7");
    // The thread is gone from a read: its name is dropped, and a new thread with its id is read.
    names.keep(new Map());
    rename(tid, "picloud-reused");
    assert.equal(names.read(Deno.pid, tid), "picloud-reused");
  } finally {
    rename(tid, original);
  }
});
