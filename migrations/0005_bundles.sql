-- Deploy-time bundling: a version keeps what the user uploaded (the entry's text in `source`, the
-- other files, the import map), the packages it resolved to (the lock) and, when it was bundled,
-- the single module that runs (`bundle`). A version without a bundle runs its `source`, as before.
alter table script_versions
  add column entry text,
  add column files jsonb,
  add column imports jsonb,
  add column lock jsonb,
  add column packages jsonb,
  add column bundle text;
