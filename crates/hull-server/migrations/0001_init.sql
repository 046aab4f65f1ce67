-- hull serve's store, version 1. Portable SQL only (SQLite 3.35+ and PostgreSQL 13+ both run
-- it unchanged): TEXT and BIGINT columns, ids made by the server, no AUTOINCREMENT/SERIAL.
-- Times are seconds since the Unix epoch.

-- One row per image digest (a manifest digest, or `sbom:sha256:…` for an uploaded SBOM).
CREATE TABLE images (
    digest      TEXT PRIMARY KEY,
    repository  TEXT NOT NULL,        -- the repository last seen, `host/path` ('' for SBOMs)
    source      TEXT NOT NULL,        -- registry | sbom | …  (hull_types::SourceKind)
    report      TEXT NOT NULL,        -- the ScanReport JSON, without the policy's decision
    passed      BIGINT NOT NULL,      -- the policy verdict: 1 passed, 0 failed
    verdict     TEXT NOT NULL,        -- the verdict's one-line summary
    counts      TEXT NOT NULL,        -- findings per scanner and severity (JSON)
    scanned_at  BIGINT NOT NULL,      -- when the image (or SBOM) was read
    matched_at  BIGINT NOT NULL,      -- when its packages were last matched
    judged_at   BIGINT NOT NULL,      -- when the verdict was computed
    advisory_db TEXT NOT NULL         -- the advisory database the match used (built_at)
);
CREATE INDEX images_repository ON images (repository, digest);

-- Every reference an image was pushed or asked for under.
CREATE TABLE image_refs (
    digest     TEXT NOT NULL,
    reference  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (digest, reference)
);

-- Findings as they appear and disappear: on a scan, and on a re-match after the advisory
-- database changed (`cause`).
CREATE TABLE finding_events (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    change     TEXT NOT NULL,         -- appeared | resolved
    cause      TEXT NOT NULL,         -- scan | rematch
    scanner    TEXT NOT NULL,
    finding    TEXT NOT NULL,         -- advisory, rule or check id
    subject    TEXT NOT NULL,         -- package@version, or the file path
    severity   TEXT NOT NULL
);
CREATE INDEX finding_events_at ON finding_events (at, id);

-- The scan queue. At most one queued or running job per image reference.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    image       TEXT NOT NULL,
    state       TEXT NOT NULL,        -- queued | running | done | failed
    attempts    BIGINT NOT NULL,
    not_before  BIGINT NOT NULL,      -- a retry waits until then
    lease_until BIGINT NOT NULL,      -- a running job whose lease passed is queued again
    error       TEXT,
    digest      TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_active ON jobs (image) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_ready ON jobs (state, not_before, created_at);

-- API tokens, by the SHA-256 of their secret.
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,         -- viewer | scanner | admin
    hash       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Every mutating call.
CREATE TABLE audit (
    id     TEXT PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,             -- the token's name, or `registry-webhook`, `system`
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    client TEXT NOT NULL,
    status BIGINT NOT NULL            -- the HTTP status answered
);
CREATE INDEX audit_at ON audit (at, id);

-- Server state that outlives a restart (the advisory database last matched against).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
