-- Stack traces of bundled versions: the bundle's source map, compact (positions only, sources named
-- as the upload's files and `npm/<package>/<version>/<file>`), maps a frame in the bundle back to
-- the user's file, line and column. Null for versions that run their source as uploaded.
alter table script_versions add column bundle_map text;
