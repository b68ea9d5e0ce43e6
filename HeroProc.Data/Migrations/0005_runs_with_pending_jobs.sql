-- Schema version 5: the runs that have pending jobs, in id order. The scheduler looked for pending jobs
-- along the jobs' status index, so a run at its maxParallel made every pass read all of its pending jobs
-- (1.25 ms per pass for a run of 1000 jobs with maxParallel 4) to claim none. It now goes run by run,
-- skips a full run on its counters, and reads only the pending jobs of runs that have a free slot.

CREATE INDEX ix_run_job_counts_pending ON run_job_counts (run_id) WHERE status = 'pending' AND count > 0;
