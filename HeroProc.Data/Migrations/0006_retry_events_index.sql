-- Schema version 6: the index that counts a service process's restarts holds its 'retrying' events only.
-- It held every job event, so each state change of every job wrote one more B-tree page to the WAL,
-- for a count that only processes' restart policies ask for.

DROP INDEX ix_job_events_restarts;
CREATE INDEX ix_job_events_retries ON job_events (job_id, at) WHERE status = 'retrying';
