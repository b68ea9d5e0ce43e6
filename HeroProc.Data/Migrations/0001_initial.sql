-- Schema version 1: definitions (actions, services, secrets, schedules), executions (runs, jobs)
-- and their histories. Times are ISO-8601 UTC text with milliseconds, so they sort as strings.

CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    description   TEXT,
    requires_json TEXT NOT NULL DEFAULT '[]',
    after_json    TEXT NOT NULL DEFAULT '[]',
    wanted_status TEXT NOT NULL DEFAULT 'stop' CHECK (wanted_status IN ('start', 'stop')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A service's own actions are rows here named '<service>.<action>' with `service` set; the
-- foreign key makes "an action owned by a service that does not exist" impossible.
CREATE TABLE actions (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    service    TEXT REFERENCES services (name) ON DELETE CASCADE ON UPDATE CASCADE,
    position   INTEGER NOT NULL DEFAULT 0,
    spec_json  TEXT NOT NULL,
    tags_json  TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_actions_service ON actions (service, position);

-- AUTOINCREMENT: a deleted run's id is never handed out again, so ids stay safe to cache.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT,
    service      TEXT,
    schedule     TEXT,
    retry_of     INTEGER,
    status       TEXT NOT NULL,
    tags_json    TEXT NOT NULL DEFAULT '[]',
    env_json     TEXT NOT NULL DEFAULT '{}',
    max_parallel INTEGER,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX ix_runs_status ON runs (status, id);
CREATE INDEX ix_runs_service ON runs (service, id) WHERE service IS NOT NULL;
CREATE INDEX ix_runs_schedule ON runs (schedule, id) WHERE schedule IS NOT NULL;
CREATE INDEX ix_runs_finished_at ON runs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    action          TEXT,
    status          TEXT NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 1,
    pid             INTEGER,
    exit_code       INTEGER,
    signal          TEXT,
    error           TEXT,
    depends_on_json TEXT NOT NULL DEFAULT '[]',
    spec_json       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    UNIQUE (run_id, name)
);
CREATE INDEX ix_jobs_status ON jobs (status, id);
CREATE INDEX ix_jobs_action ON jobs (action, id) WHERE action IS NOT NULL;

CREATE TABLE job_events (
    id      INTEGER PRIMARY KEY,
    job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    status  TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at      TEXT NOT NULL,
    detail  TEXT
);
CREATE INDEX ix_job_events_job ON job_events (job_id, id);

CREATE TABLE service_events (
    id         INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    action     TEXT,
    at         TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX ix_service_events_service ON service_events (service_id, id);

CREATE TABLE secrets (
    name         TEXT PRIMARY KEY,
    value_cipher TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    spec_json   TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    last_tick_at TEXT,
    last_run_at TEXT,
    last_run_id INTEGER,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A key belongs to the run it created: deleting the run frees the key.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL
);
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX ix_idempotency_keys_run ON idempotency_keys (run_id);
