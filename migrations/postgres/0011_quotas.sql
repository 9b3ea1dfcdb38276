-- Quotas (PostgreSQL): what every process has counted against each client's quotas, so that
-- several servers give a client its quota, not one each. Keep in step with
-- ../sqlite/0011_quotas.sql.

-- One row per quota (`scope`: a family of requests such as "searches", or an action such as
-- "vote") and client (an address, a member, a hashed email address): the end of the current
-- window (Unix milliseconds), how much of the quota processes have leased in it, and what the
-- last lease granted. Rows of ended windows are deleted by the servers now and then.
CREATE TABLE quota_counts (
    scope        TEXT NOT NULL,
    client       TEXT NOT NULL,
    window_ends  BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    granted      BIGINT NOT NULL,
    PRIMARY KEY (scope, client)
);
