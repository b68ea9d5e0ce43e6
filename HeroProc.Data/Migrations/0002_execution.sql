-- Schema version 2: execution. Jobs become processes: the shim's identity, why a stop was asked,
-- when a retry is due, how far the spool was ingested; logs are indexed by chunk.

ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

-- 'cancel' or 'timeout': why the server asked the current attempt to stop; survives a restart.
ALTER TABLE jobs ADD COLUMN stop_requested TEXT;
ALTER TABLE jobs ADD COLUMN next_attempt_at TEXT;
ALTER TABLE jobs ADD COLUMN attempt_started_at TEXT;
-- Identity of the attempt's processes: pid + start time (field 22 of /proc/PID/stat) + boot id.
ALTER TABLE jobs ADD COLUMN pid_start_time INTEGER;
ALTER TABLE jobs ADD COLUMN shim_pid INTEGER;
ALTER TABLE jobs ADD COLUMN shim_start_time INTEGER;
ALTER TABLE jobs ADD COLUMN boot_id TEXT;
-- Ingestion: the next spool segment and offset to read, and partial lines carried between reads.
ALTER TABLE jobs ADD COLUMN spool_segment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN spool_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN carry_stdout BLOB;
ALTER TABLE jobs ADD COLUMN carry_stderr BLOB;
-- The stored log: the last sequence number, the bytes kept, and lines dropped by retention.
ALTER TABLE jobs ADD COLUMN log_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN log_dropped_lines INTEGER NOT NULL DEFAULT 0;

CREATE INDEX ix_jobs_run_status ON jobs (run_id, status);

-- A job's log lives in a file (logs/<job id>.log); each row indexes one chunk of it.
CREATE TABLE log_chunks (
    job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    first_seq   INTEGER NOT NULL,
    line_count  INTEGER NOT NULL,
    file_offset INTEGER NOT NULL,
    byte_length INTEGER NOT NULL,
    first_at    TEXT NOT NULL,
    last_at     TEXT NOT NULL,
    PRIMARY KEY (job_id, first_seq)
) WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
