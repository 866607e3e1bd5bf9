-- Execution log rows that were never written (the writer's bounded buffer was full, or a write
-- failed): per app, how many and the span of their times, so a log listing can say
-- "N rows were dropped between first_at and last_at" instead of losing them silently.
create table execution_log_gaps (
  id bigint generated always as identity primary key,
  app_id uuid not null references apps(id) on delete cascade,
  dropped bigint not null check (dropped > 0),
  first_at timestamptz not null,
  last_at timestamptz not null check (last_at >= first_at)
);
create index execution_log_gaps_app_id_last_at on execution_log_gaps(app_id, last_at desc);
