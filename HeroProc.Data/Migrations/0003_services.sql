-- Schema version 3: services are supervised. A service points at its current (or last) run; a
-- process job carries what its supervision needs to survive a restart of the server.

-- The run the service's processes belong to now, or belonged to last.
ALTER TABLE services ADD COLUMN run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL;
-- 1: a start or restart waits for a new run (created once the requirements are up).
ALTER TABLE services ADD COLUMN needs_run INTEGER NOT NULL DEFAULT 0;
-- Why the service failed from outside its own run (a requirement failed); cleared by the next start.
ALTER TABLE services ADD COLUMN reason TEXT;

-- 'oneshot' or 'process': processes are supervised, and do not count against MaxParallelJobs.
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'oneshot' CHECK (kind IN ('oneshot', 'process'));
-- A process: when its current attempt counted as up (minUptimeMs passed, probe passing): dependents may start.
ALTER TABLE jobs ADD COLUMN ready_at TEXT;
-- A process with a probe: 'passing' or 'failing' for the current attempt; NULL before the first answer.
ALTER TABLE jobs ADD COLUMN health TEXT;
-- A process: failed runs in a row since the backoff last reset; the next restart waits delayMs × factor^streak.
ALTER TABLE jobs ADD COLUMN restart_streak INTEGER NOT NULL DEFAULT 0;
-- The exit code of the previous attempt: a restarted process still shows what made it restart.
ALTER TABLE jobs ADD COLUMN last_exit_code INTEGER;

-- The scheduler looks for services' processes to start on every pass: this keeps that look from
-- walking every pending oneshot job.
CREATE INDEX ix_jobs_process_status ON jobs (status, id) WHERE kind = 'process';
-- A process's restarts within its window are counted from its history at every exit.
CREATE INDEX ix_job_events_restarts ON job_events (job_id, status, at);
