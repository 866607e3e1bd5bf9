/** @module Installs the load generator and comparison servers when missing, and describes the machine. */

import { runText } from "./_proc.ts";

/** Where npm tools are installed: outside the repo, so no package.json slows Worker spawns. */
export const CACHE_DIR = `${Deno.env.get("HOME") ?? "/root"}/.cache/picloud-bench`;
/** The workerd npm version the harness installs. */
export const WORKERD_VERSION = "1.20261117.1";

async function which(cmd: string): Promise<string | null> {
  try {
    return await runText("sh", ["-c", `command -v ${cmd}`], { timeoutMs: 5_000 }) || null;
  } catch {
    return null;
  }
}

/** Path of `wrk`, installed with apt-get (after `apt-get update` if needed) when missing. */
export async function ensureWrk(): Promise<string> {
  const found = await which("wrk");
  if (found) return found;
  console.error("bench: installing wrk with apt-get …");
  try {
    await runText("apt-get", ["install", "-y", "wrk"], { timeoutMs: 180_000 });
  } catch {
    await runText("apt-get", ["update"], { timeoutMs: 180_000 });
    await runText("apt-get", ["install", "-y", "wrk"], { timeoutMs: 180_000 });
  }
  const path = await which("wrk");
  if (!path) throw new Error("wrk is still missing after apt-get install -y wrk");
  return path;
}

/** Path of the native `workerd` binary (not the node launcher), installed with npm when missing. */
export async function ensureWorkerd(): Promise<string | null> {
  const bin = `${CACHE_DIR}/node_modules/@cloudflare/workerd-linux-64/bin/workerd`;
  if (Deno.build.arch !== "x86_64") {
    const arm = `${CACHE_DIR}/node_modules/@cloudflare/workerd-linux-arm64/bin/workerd`;
    return await installed(arm) ? arm : await npmInstall(arm);
  }
  return await installed(bin) ? bin : await npmInstall(bin);
}

async function installed(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function npmInstall(bin: string): Promise<string | null> {
  console.error(`bench: installing workerd@${WORKERD_VERSION} into ${CACHE_DIR} …`);
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  try {
    await runText("npm", [
      "install",
      "--prefix",
      CACHE_DIR,
      "--no-audit",
      "--no-fund",
      `workerd@${WORKERD_VERSION}`,
    ], { timeoutMs: 300_000 });
  } catch (err) {
    console.error(`bench: workerd install failed, skipping it: ${err}`);
    return null;
  }
  return await installed(bin) ? bin : null;
}

/** Machine and tool versions recorded with every result. */
export interface Machine {
  date: string;
  cpuModel: string;
  cores: number;
  memoryMb: number;
  kernel: string;
  deno: string;
  node: string;
  wrk: string;
  workerd: string;
}

async function version(cmd: string, args: string[]): Promise<string> {
  try {
    return (await runText(cmd, args, { timeoutMs: 10_000 })).split("\n")[0];
  } catch (err) {
    // wrk -v prints its version and exits 1.
    const m = /wrk [^\s]*\d[^\s]*/.exec(String(err));
    return m ? m[0] : "unavailable";
  }
}

/** Describes the machine and the versions of every tool in the run. */
export async function describeMachine(wrk: string, workerd: string | null): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  return {
    date: new Date().toISOString(),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryMb: Math.round(Number(/MemTotal:\s*(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    node: await version("node", ["--version"]),
    wrk: await version(wrk, ["-v"]),
    workerd: workerd ? await version(workerd, ["--version"]) : "unavailable",
  };
}
