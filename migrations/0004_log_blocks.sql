-- Execution logs stored in blocks: one database row per app per written batch, holding that
-- app's rows of the batch. Embedded PGlite spends its CPU on the bytes it receives (~20 ns
-- each) and on each statement, not on tuples: so the writer sends each block as positional JSON
-- tuples, deflated (orchestrator/log_block.ts), ~50-70 bytes per row instead of ~470, in one
-- statement per batch. Row ids stay per row and stable: the rows of a block have ids first_id,
-- first_id + 1, ... first_id + n - 1, in order. Readers expand only the blocks that can match.

-- The last row id handed out; a writer advances it by its batch's row count (one row lock per
-- batch, held to commit, so ids also become visible in order across nodes).
create table execution_log_ids (
  singleton boolean primary key default true check (singleton),
  last_id bigint not null
);

create table execution_log_blocks (
  app_id uuid not null references apps(id) on delete cascade,
  first_id bigint not null,
  n integer not null check (n > 0),
  min_at timestamptz not null,
  max_at timestamptz not null check (max_at >= min_at),
  -- 0: UTF-8 JSON text of the tuples; 1: the same, raw deflate (what the writer stores).
  codec smallint not null check (codec in (0, 1)),
  rows bytea not null,
  primary key (app_id, first_id)
);
-- Already compressed: stored out of line as is, never recompressed.
alter table execution_log_blocks alter column rows set storage external;
create index execution_log_blocks_max_at on execution_log_blocks(max_at);

insert into execution_log_ids (last_id) select coalesce(max(id), 0) from execution_logs;

-- Existing rows keep their ids: each run of consecutive ids of one app, cut every 2000 rows,
-- becomes a block of codec 0 (the tuple layout of orchestrator/log_block.ts, uncompressed).
insert into execution_log_blocks (app_id, first_id, n, min_at, max_at, codec, rows)
select app_id, min(id), count(*), min(at), max(at), 0, convert_to(json_agg(json_build_array(
    script_id, script_version_id, trigger, request_id, method, path, host, status, outcome,
    duration_ms, cpu_ms, memory_mb, logs, error, (extract(epoch from at) * 1000)::float8
  ) order by id)::text, 'UTF8')
from (
  select l.*, (row_number() over (partition by app_id, run order by id) - 1) / 2000 as part
  from (
    select *, id - row_number() over (partition by app_id order by id) as run
    from execution_logs
  ) l
) l
group by app_id, run, part;

drop table execution_logs;
