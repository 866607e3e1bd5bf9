/**
 * @module `picloud apps|scripts|routes|schedules list` (aligned tables, or JSON arrays with
 * `--json`) and `picloud rollback <script> <version>`.
 */

import type { Command } from "commander";
import type { CliContext } from "../program.ts";
import { usageError } from "../io.ts";
import { adminPath, connect } from "./client.ts";
import { listScripts, requireScript } from "./lookup.ts";
import { table } from "./terminal.ts";

interface App {
  slug: string;
  name: string;
  my_role: string | null;
  created_at: string;
}
interface Route {
  method: string;
  path: string;
  host: string | null;
  script_id: string;
}
interface Schedule {
  id: string;
  script_id: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
}

const day = (iso: string | null) => iso ? iso.replace("T", " ").slice(0, 19) : "-";

/** Registers the `list` subcommands and `rollback`. */
export function registerListCommands(program: Command, ctx: CliContext): void {
  const group = (name: string, what: string) =>
    program.command(name).description(`${what} (subcommand: list)`);

  group("apps", "the apps you can see").command("list")
    .description("list the apps you can see, with your role in each")
    .addHelpText("after", "\nExample:\n  picloud apps list --json")
    .action(async (_opts, cmd: Command) => {
      const api = await connect(ctx.io.env);
      const { items } = await api.json<{ items: App[] }>("GET", adminPath`/apps`);
      ctx.output(cmd).result(items, () =>
        table(
          ["SLUG", "NAME", "ROLE", "CREATED"],
          items.map((a) => [a.slug, a.name, a.my_role ?? "-", day(a.created_at)]),
        ));
    });

  group("scripts", "an app's scripts").command("list")
    .description("list an app's scripts and their live versions")
    .requiredOption("--app <slug>", "the app")
    .addHelpText("after", "\nExample:\n  picloud scripts list --app default")
    .action(async (opts, cmd: Command) => {
      const api = await connect(ctx.io.env);
      const items = await listScripts(api, opts.app);
      ctx.output(cmd).result(items, () =>
        table(
          ["NAME", "VERSION", "UPDATED", "ID"],
          items.map((s) => [s.name, String(s.active_version ?? "-"), day(s.updated_at), s.id]),
        ));
    });

  group("routes", "an app's routes").command("list")
    .description("list an app's routes and the scripts they run")
    .requiredOption("--app <slug>", "the app")
    .addHelpText("after", "\nExample:\n  picloud routes list --app default")
    .action(async (opts, cmd: Command) => {
      const api = await connect(ctx.io.env);
      const names = await scriptNames(opts.app);
      const { items } = await api.json<{ items: Route[] }>("GET", adminPath`/routes`, {
        query: { app: opts.app },
      });
      ctx.output(cmd).result(items, () =>
        table(
          ["METHOD", "PATH", "HOST", "SCRIPT"],
          items.map((
            r,
          ) => [r.method, r.path, r.host ?? "*", names.get(r.script_id) ?? r.script_id]),
        ));
    });

  group("schedules", "an app's schedules").command("list")
    .description("list an app's schedules")
    .requiredOption("--app <slug>", "the app")
    .addHelpText("after", "\nExample:\n  picloud schedules list --app default --json")
    .action(async (opts, cmd: Command) => {
      const api = await connect(ctx.io.env);
      const names = await scriptNames(opts.app);
      const { items } = await api.json<{ items: Schedule[] }>("GET", adminPath`/schedules`, {
        query: { app: opts.app },
      });
      ctx.output(cmd).result(items, () =>
        table(
          ["SCRIPT", "CRON", "TIMEZONE", "ENABLED", "NEXT RUN", "LAST RUN"],
          items.map((s) => [
            names.get(s.script_id) ?? s.script_id,
            s.cron,
            s.timezone,
            s.enabled ? "yes" : "no",
            day(s.next_run_at),
            day(s.last_run_at),
          ]),
        ));
    });

  program.command("rollback")
    .description("make an earlier version of a script live again")
    .argument("<script>", "the script's name (or id)")
    .argument("<version>", "the version number to make live")
    .requiredOption("--app <slug>", "the app")
    .addHelpText("after", "\nExample:\n  picloud rollback greet 3 --app default")
    .action(async (ref: string, n: string, opts, cmd: Command) => {
      if (!/^[1-9][0-9]{0,9}$/.test(n)) throw usageError(`Not a version number: ${n}`);
      const api = await connect(ctx.io.env);
      const script = await requireScript(api, opts.app, ref);
      const version = await api.json<{ version: number }>(
        "POST",
        adminPath`/scripts/${script.id}/versions/${n}` + ":activate",
      );
      ctx.output(cmd).result(
        version,
        () => `${script.name} v${version.version} is live again in app ${opts.app}`,
      );
    });

  async function scriptNames(app: string): Promise<Map<string, string>> {
    const api = await connect(ctx.io.env);
    return new Map((await listScripts(api, app)).map((s) => [s.id, s.name]));
  }
}
