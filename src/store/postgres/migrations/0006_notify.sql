-- #19: the broker's CRM is told when a deposit or a withdrawal ends and
-- when a KYC case is submitted or decided: one row per event, written by
-- these triggers in the very transaction that changed the state (whichever
-- code path did it), then sent, signed, by the notify worker and retried
-- until the CRM answers 2xx (`notify::crm`).
CREATE TABLE notify_outbox (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'kyc')),
    -- The deposit's or withdrawal's id; the login for a KYC case.
    subject      TEXT NOT NULL,
    login        BIGINT NOT NULL,
    state        TEXT NOT NULL,
    amount_minor BIGINT,
    digits       BIGINT,
    currency     TEXT,
    kyc_type     TEXT,
    occurred_at  BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    locked_until BIGINT,
    delivered_at BIGINT,
    last_error   TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (delivered_at, next_at);

CREATE FUNCTION notify_deposit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, amount_minor, digits, currency, occurred_at, next_at)
    VALUES ('deposit', NEW.id, NEW.login, NEW.state, COALESCE(NEW.confirmed_minor, NEW.requested_minor), NEW.digits, NEW.currency, NEW.updated_at, NEW.updated_at);
    RETURN NEW;
END $$;
CREATE TRIGGER notify_deposit AFTER UPDATE OF state ON deposits FOR EACH ROW
WHEN (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('credited', 'failed', 'cancelled', 'expired', 'review'))
EXECUTE FUNCTION notify_deposit();

CREATE FUNCTION notify_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, amount_minor, digits, currency, occurred_at, next_at)
    VALUES ('withdrawal', NEW.id, NEW.login, NEW.state, NEW.amount_minor, NEW.digits, NEW.currency, NEW.updated_at, NEW.updated_at);
    RETURN NEW;
END $$;
CREATE TRIGGER notify_withdrawal_requested AFTER INSERT ON withdrawals FOR EACH ROW EXECUTE FUNCTION notify_withdrawal();
CREATE TRIGGER notify_withdrawal AFTER UPDATE OF state ON withdrawals FOR EACH ROW
WHEN (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('paid', 'rejected', 'cancelled'))
EXECUTE FUNCTION notify_withdrawal();

CREATE FUNCTION notify_kyc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_outbox (kind, subject, login, state, kyc_type, occurred_at, next_at)
    VALUES ('kyc', NEW.login::text, NEW.login, NEW.state, NEW.kyc_type, NEW.updated_at, NEW.updated_at);
    RETURN NEW;
END $$;
CREATE TRIGGER notify_kyc AFTER UPDATE OF state ON kyc_cases FOR EACH ROW
WHEN (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('submitted', 'more_info', 'approved', 'rejected'))
EXECUTE FUNCTION notify_kyc();
