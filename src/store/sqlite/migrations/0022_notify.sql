-- #19: the broker's CRM is told when a deposit or a withdrawal ends and
-- when a KYC case is submitted or decided: one row per event, written by
-- these triggers in the very transaction that changed the state (whichever
-- code path did it), then sent, signed, by the notify worker and retried
-- until the CRM answers 2xx (`notify::crm`).
CREATE TABLE notify_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'kyc')),
    -- The deposit's or withdrawal's id; the login for a KYC case.
    subject      TEXT NOT NULL,
    login        INTEGER NOT NULL,
    state        TEXT NOT NULL,
    amount_minor INTEGER,
    digits       INTEGER,
    currency     TEXT,
    kyc_type     TEXT,
    occurred_at  INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    locked_until INTEGER,
    delivered_at INTEGER,
    last_error   TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (delivered_at, next_at);

CREATE TRIGGER notify_deposit AFTER UPDATE OF state ON deposits
WHEN NEW.state IS NOT OLD.state AND NEW.state IN ('credited', 'failed', 'cancelled', 'expired', 'review')
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, amount_minor, digits, currency, occurred_at, next_at)
    VALUES ('deposit', NEW.id, NEW.login, NEW.state, COALESCE(NEW.confirmed_minor, NEW.requested_minor), NEW.digits, NEW.currency, NEW.updated_at, NEW.updated_at);
END;

CREATE TRIGGER notify_withdrawal_requested AFTER INSERT ON withdrawals
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, amount_minor, digits, currency, occurred_at, next_at)
    VALUES ('withdrawal', NEW.id, NEW.login, NEW.state, NEW.amount_minor, NEW.digits, NEW.currency, NEW.created_at, NEW.created_at);
END;

CREATE TRIGGER notify_withdrawal AFTER UPDATE OF state ON withdrawals
WHEN NEW.state IS NOT OLD.state AND NEW.state IN ('paid', 'rejected', 'cancelled')
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, amount_minor, digits, currency, occurred_at, next_at)
    VALUES ('withdrawal', NEW.id, NEW.login, NEW.state, NEW.amount_minor, NEW.digits, NEW.currency, NEW.updated_at, NEW.updated_at);
END;

CREATE TRIGGER notify_kyc AFTER UPDATE OF state ON kyc_cases
WHEN NEW.state IS NOT OLD.state AND NEW.state IN ('submitted', 'more_info', 'approved', 'rejected')
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, kyc_type, occurred_at, next_at)
    VALUES ('kyc', CAST(NEW.login AS TEXT), NEW.login, NEW.state, NEW.kyc_type, NEW.updated_at, NEW.updated_at);
END;
