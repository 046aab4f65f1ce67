-- Version 2: what the admission webhook needs. Portable SQL, as version 1.

-- The ids of the findings that failed the policy (JSON list), for admission answers.
ALTER TABLE images ADD COLUMN failures TEXT NOT NULL DEFAULT '[]';

CREATE INDEX image_refs_reference ON image_refs (reference);

-- Every admission decision that was not a dry run.
CREATE TABLE admission_decisions (
    id        TEXT PRIMARY KEY,
    at        BIGINT NOT NULL,
    uid       TEXT NOT NULL,          -- the AdmissionReview request's uid
    namespace TEXT NOT NULL,
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    operation TEXT NOT NULL,
    allowed   BIGINT NOT NULL,
    mode      TEXT NOT NULL,          -- enforce | audit | exempt
    images    TEXT NOT NULL,          -- JSON: [{"image": …, "digest": …}]
    reasons   TEXT NOT NULL,          -- JSON list: what denied (or, in audit mode, would have)
    warnings  TEXT NOT NULL           -- JSON list
);
CREATE INDEX admission_decisions_at ON admission_decisions (at, id);
