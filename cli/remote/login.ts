/**
 * @module `picloud login <url>` and `picloud logout`: an API key (typed with echo off, or piped
 * with `--api-key-stdin`) checked against the server, or an email and password that make a
 * `picloud-cli@<hostname>` key; stored by `config.ts`. The key is never printed.
 */

import type { Command } from "commander";
import type { CliContext } from "../program.ts";
import { CliError } from "../io.ts";
import { ExitCode } from "../exit_codes.ts";
import { adminPath, ApiClient } from "./client.ts";
import { configPath, normalizeUrl, removeCredentials, saveCredentials } from "./config.ts";
import { promptSecret, readStdinSecret, type RemoteIo } from "./terminal.ts";

interface Me {
  user?: { email?: string } | null;
  email?: string;
}

/** Registers `login` and `logout`. */
export function registerLoginCommands(program: Command, ctx: CliContext): void {
  program
    .command("login")
    .description("check an API key against a server and keep both for the other commands")
    .argument("<url>", "the console and admin API's URL (e.g. http://pi.local:8001)")
    .option("--api-key-stdin", "read the API key from standard input instead of asking")
    .option("--email <email>", "sign in instead, and make an API key for this machine")
    .option("--password-stdin", "with --email: read the password from standard input")
    .addHelpText(
      "after",
      `
Examples:
  picloud login http://pi.local:8001                 # asks for the key (pc_…)
  echo "$KEY" | picloud login http://pi.local:8001 --api-key-stdin
  picloud login http://pi.local:8001 --email owner@example.com   # makes a key

PICLOUD_URL and PICLOUD_API_KEY, when set, win over what login stored.`,
    )
    .action(async (rawUrl: string, opts, cmd: Command) => {
      const out = ctx.output(cmd);
      const io = ctx.io as RemoteIo;
      const url = normalizeUrl(rawUrl);
      let apiKey: string;
      if (opts.email) {
        const password = opts.passwordStdin
          ? await readStdinSecret(io)
          : await promptSecret(io, "Password", "--password-stdin");
        apiKey = await keyFromPassword(url, opts.email, password, io.env);
        out.progress(`made an API key for this machine (${keyName(io.env)})`);
      } else {
        apiKey = (opts.apiKeyStdin
          ? await readStdinSecret(io)
          : await promptSecret(io, "API key", "--api-key-stdin")).trim();
      }
      if (!apiKey) throw new CliError(ExitCode.usage, "usage", "The API key is empty");
      const me = await new ApiClient(url, apiKey).json<Me>("GET", adminPath`/me`);
      const path = await saveCredentials(io.env, { url, apiKey });
      const email = me?.user?.email ?? me?.email ?? "";
      out.result(
        { url, email, config: path },
        () => `logged in to ${url}${email ? ` as ${email}` : ""} (saved in ${path})`,
      );
    });

  program
    .command("logout")
    .description("forget the stored server URL and API key (the key itself stays valid)")
    .addHelpText("after", "\nExample:\n  picloud logout")
    .action(async (_opts, cmd: Command) => {
      const removed = await removeCredentials(ctx.io.env);
      const path = configPath(ctx.io.env);
      ctx.output(cmd).result(
        { removed, config: path },
        () => removed ? `removed ${path}` : "not logged in",
      );
    });
}

function keyName(env: Record<string, string | undefined>): string {
  let host = env.HOSTNAME ?? "";
  try {
    host ||= Deno.hostname();
  } catch { /* no permission: a name without the host */ }
  return `picloud-cli@${host || "unknown"}`;
}

/** Signs in, makes a key named for this machine, and ends the session again. */
async function keyFromPassword(
  url: string,
  email: string,
  password: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  const anon = new ApiClient(url);
  const { token } = await anon.json<{ token: string }>("POST", adminPath`/login`, {
    json: { email, password },
  });
  const session = new ApiClient(url, token);
  try {
    const made = await session.json<{ key: string }>("POST", adminPath`/api-keys`, {
      json: { name: keyName(env) },
    });
    return made.key;
  } finally {
    await session.request("POST", adminPath`/logout`).catch(() => {});
  }
}
