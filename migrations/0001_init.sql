-- PiCloud schema, version 1: the full data model of DESIGN.md.

create table apps (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table app_slug_history (
  slug text primary key,
  app_id uuid not null references apps(id) on delete cascade,
  created_at timestamptz not null default now()
);
create index app_slug_history_app_id on app_slug_history(app_id);

create table app_domains (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  pattern text not null,
  kind text not null check (kind in ('exact', 'wildcard', 'param')),
  shape_key text not null unique,
  created_at timestamptz not null default now()
);
create index app_domains_app_id on app_domains(app_id);

create table admin_users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  display_name text not null default '',
  password_hash text,
  instance_role text not null default 'admin' check (instance_role in ('owner', 'admin', 'member')),
  active boolean not null default true,
  password_changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index admin_users_email_lower on admin_users(lower(email));

create table sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references admin_users(id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  user_agent text,
  client_addr text
);
create index sessions_user_id on sessions(user_id);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references admin_users(id) on delete cascade,
  name text not null,
  prefix text not null unique,
  key_hash text not null,
  app_id uuid references apps(id) on delete cascade,
  read_only boolean not null default false,
  last_used_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_user_id on api_keys(user_id);

create table app_members (
  app_id uuid not null references apps(id) on delete cascade,
  user_id uuid not null references admin_users(id) on delete cascade,
  role text not null check (role in ('admin', 'editor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (app_id, user_id)
);
create index app_members_user_id on app_members(user_id);

create table scripts (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  name text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  description text not null default '',
  active_version_id uuid,
  -- Plain variables; secrets are stored encrypted, never returned after being set.
  env jsonb not null default '{}',
  secrets jsonb not null default '{}',
  -- Per-script policy: allowed outbound hosts and limits within platform caps.
  policy jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (app_id, name)
);

create table script_versions (
  id uuid primary key default gen_random_uuid(),
  script_id uuid not null references scripts(id) on delete cascade,
  version integer not null check (version > 0),
  source text not null,
  hash text not null,
  created_by uuid references admin_users(id) on delete set null,
  created_at timestamptz not null default now(),
  unique (script_id, version)
);

alter table scripts add constraint scripts_active_version_fk
  foreign key (active_version_id) references script_versions(id) on delete set null;

create table routes (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  script_id uuid not null references scripts(id) on delete cascade,
  method text not null check (method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY')),
  path text not null,
  host text,
  -- Method, path with parameter names erased, and host: equivalent routes collide.
  shape_key text not null,
  created_at timestamptz not null default now(),
  unique (app_id, shape_key)
);
create index routes_script_id on routes(script_id);

create table schedules (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  script_id uuid not null references scripts(id) on delete cascade,
  cron text not null,
  timezone text not null default 'UTC',
  enabled boolean not null default true,
  next_run_at timestamptz,
  running_since timestamptz,
  last_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index schedules_due on schedules(next_run_at) where enabled;

create table schedule_runs (
  id bigint generated always as identity primary key,
  schedule_id uuid not null references schedules(id) on delete cascade,
  scheduled_for timestamptz not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' check (status in ('running', 'ok', 'error')),
  error text,
  node text,
  unique (schedule_id, scheduled_for)
);

create table execution_logs (
  id bigint generated always as identity primary key,
  app_id uuid not null references apps(id) on delete cascade,
  script_id uuid,
  script_version_id uuid,
  trigger text not null check (trigger in ('http', 'cron', 'execute')),
  request_id text not null,
  method text,
  path text,
  host text,
  status integer not null,
  outcome text not null,
  duration_ms integer not null,
  cpu_ms integer,
  memory_mb integer,
  logs jsonb not null default '[]',
  error jsonb,
  at timestamptz not null default now()
);
create index execution_logs_app_id_id on execution_logs(app_id, id desc);
create index execution_logs_at on execution_logs(at);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_user_id uuid,
  actor_key_id uuid,
  action text not null,
  resource_type text not null,
  resource_id text,
  app_id uuid,
  before jsonb,
  after jsonb
);
create index audit_log_at on audit_log(at desc);
create index audit_log_app_id on audit_log(app_id, at desc);

-- Facts recorded once per installation (e.g. whether the fresh-install seed ran).
create table picloud_meta (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);
