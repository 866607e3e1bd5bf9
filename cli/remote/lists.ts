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
    .action(appTable<Route>(
      adminPath`/routes`,
      ["METHOD", "PATH", "HOST", "SCRIPT"],
      (r, script) => [r.method, r.path, r.host ?? "*", script(r.script_id)],
    ));

  group("schedules", "an app's schedules").command("list")
    .description("list an app's schedules")
    .requiredOption("--app <slug>", "the app")
    .addHelpText("after", "\nExample:\n  picloud schedules list --app default --json")
    .action(appTable<Schedule>(
      adminPath`/schedules`,
      ["SCRIPT", "CRON", "TIMEZONE", "ENABLED", "NEXT RUN", "LAST RUN"],
      (s, script) => [
        script(s.script_id),
        s.cron,
        s.timezone,
        s.enabled ? "yes" : "no",
        day(s.next_run_at),
        day(s.last_run_at),
      ],
    ));

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

  /**
   * The action of a `list --app` command: `GET path?app=` as a table, its rows naming scripts by
   * name (an id the app's script list does not have stays an id); `--json` prints the items.
   */
  function appTable<T>(
    path: string,
    head: string[],
    row: (item: T, script: (id: string) => string) => string[],
  ) {
    return async (opts: { app: string }, cmd: Command) => {
      const api = await connect(ctx.io.env);
      const names = new Map((await listScripts(api, opts.app)).map((s) => [s.id, s.name]));
      const { items } = await api.json<{ items: T[] }>("GET", path, { query: { app: opts.app } });
      const script = (id: string) => names.get(id) ?? id;
      ctx.output(cmd).result(items, () => table(head, items.map((item) => row(item, script))));
    };
  }
}
