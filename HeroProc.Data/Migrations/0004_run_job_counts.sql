-- Schema version 4: each run's jobs counted by status, kept by triggers. A run's status and its summary
-- (counts by status) were counted from its jobs at every job change: a scan of the whole run each time,
-- so a run of 1000 jobs cost about 1000 index entries read per change. Now a change updates two counters.

CREATE TABLE run_job_counts (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    status  TEXT NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (run_id, status)
) WITHOUT ROWID;

INSERT INTO run_job_counts (run_id, status, count)
SELECT run_id, status, COUNT(*) FROM jobs GROUP BY run_id, status;

CREATE TRIGGER tr_jobs_counted_in AFTER INSERT ON jobs
BEGIN
    INSERT INTO run_job_counts (run_id, status, count) VALUES (NEW.run_id, NEW.status, 1)
    ON CONFLICT (run_id, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER tr_jobs_counted_over AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status
BEGIN
    UPDATE run_job_counts SET count = count - 1 WHERE run_id = OLD.run_id AND status = OLD.status;
    INSERT INTO run_job_counts (run_id, status, count) VALUES (NEW.run_id, NEW.status, 1)
    ON CONFLICT (run_id, status) DO UPDATE SET count = count + 1;
END;

-- Also fires for the jobs a deleted run takes with it (foreign key actions run triggers); the run's
-- counters themselves go with the run.
CREATE TRIGGER tr_jobs_counted_out AFTER DELETE ON jobs
BEGIN
    UPDATE run_job_counts SET count = count - 1 WHERE run_id = OLD.run_id AND status = OLD.status;
END;
