-- Identity and access: indexes for the audit log's actor filter and for session cleanup.
create index audit_log_actor on audit_log(actor_user_id, at desc);
create index sessions_expires_at on sessions(expires_at);
