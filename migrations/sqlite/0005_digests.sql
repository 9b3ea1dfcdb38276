-- Digests (SQLite): subscriptions, the outbox of digests with the history of each, the papers
-- each reader has been sent, and the server's signing key. Keep in step with
-- ../postgres/0005_digests.sql. Times are RFC 3339 UTC text.

-- One subscription per address. `pending` until the emailed confirmation is used (double
-- opt-in: nothing else is sent before), then `active`; `paused` after repeated bounces;
-- `unsubscribed` keeps the row, so that a new subscription starts from double opt-in again.
CREATE TABLE subscriptions (
    id                 INTEGER PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE,                 -- lowercased
    user_id            INTEGER UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'active', 'paused', 'unsubscribed')),
    frequency          TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    weekday            INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),   -- weekly: 1 Monday … 7 Sunday
    send_hour          INTEGER NOT NULL CHECK (send_hour BETWEEN 0 AND 23), -- in time_zone
    time_zone          TEXT NOT NULL,                        -- IANA name
    categories         TEXT NOT NULL,                        -- JSON array; empty: every category
    include_keywords   TEXT NOT NULL,                        -- JSON array; empty: every paper
    exclude_keywords   TEXT NOT NULL,                        -- JSON array
    mode               TEXT NOT NULL CHECK (mode IN ('trending', 'personal')),
    papers_per_email   INTEGER NOT NULL CHECK (papers_per_email BETWEEN 1 AND 50),
    confirm_hash       TEXT,                                 -- SHA-256 of the confirmation link's token
    confirm_expires_at TEXT,
    confirm_sent_at    TEXT,                                 -- the last confirmation email
    bounces            INTEGER NOT NULL DEFAULT 0,           -- permanent failures in a row
    next_due_at        TEXT,                                 -- the next digest's time, while active
    created_at         TEXT NOT NULL,
    confirmed_at       TEXT,
    updated_at         TEXT NOT NULL
) STRICT;

CREATE INDEX subscriptions_due ON subscriptions (next_due_at) WHERE state = 'active';

-- The outbox: one digest per subscription and period, whatever crashes and reruns happen. A
-- digest is `queued`, then `sending` under a lease while one sender holds it, then `sent`, or
-- `failed` (a permanent refusal or its last attempt), or `cancelled` (unsubscribed before it
-- went). `in_doubt` counts digests taken over from a sender that died holding them: it may have
-- handed the message over. Senders claim a few digests at a time.
CREATE TABLE digests (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period          TEXT NOT NULL,                           -- `day:2026-11-26`, `week:2026-11-26` (7 days to then)
    recipient       TEXT NOT NULL,                           -- the subscription's address
    mode            TEXT NOT NULL,                           -- the subscription's mode when composed
    papers          TEXT NOT NULL,                           -- JSON [{"id": …, "reason": …}] in order
    message_id      TEXT NOT NULL UNIQUE,                    -- the same on every attempt
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    in_doubt        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    worker          TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (subscription_id, period)
) STRICT;

-- Senders claim the oldest due digest, and take over those whose sender's lease ran out.
CREATE INDEX digests_ready ON digests (state, next_attempt_at, id);
CREATE INDEX digests_leased ON digests (lease_until) WHERE state = 'sending';

-- Every state change of every digest, in order.
CREATE TABLE digest_events (
    id        INTEGER PRIMARY KEY,
    digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    state     TEXT NOT NULL,                                 -- queued, sending, in_doubt, retry, released, sent, bounced, failed, cancelled
    detail    TEXT NOT NULL
) STRICT;

CREATE INDEX digest_events_digest ON digest_events (digest_id);

-- Papers each subscription has been sent: never the same paper twice to one reader.
CREATE TABLE digest_papers (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    paper_id        TEXT NOT NULL,
    digest_id       INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, paper_id)
) STRICT;

-- Server secrets shared by every process, such as the key that signs unsubscribe links.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
