-- #16: a trader's screens follow their account live (deposits, withdrawals,
-- KYC) instead of polling. Every write to those tables logs the account's
-- login here, in the writer's own transaction, whatever code or instance
-- made it; each instance reads the log with a cursor (SQLite's single
-- writer makes ids visible in order) and wakes the streams of those
-- accounts. Rows older than a few minutes are deleted.
--
-- Updates of deposits, withdrawals and documents announce only a change of
-- state: what a trader's screen shows moves with it, and the other updates
-- (a payment id noted, a first of two approvals, a file deleted at the end of
-- its retention) would only make screens read the same thing again.
CREATE TABLE account_changes (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    login  INTEGER NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX account_changes_at ON account_changes (at);


CREATE TRIGGER deposits_insert_announced AFTER INSERT ON deposits BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER deposits_update_announced AFTER UPDATE OF state ON deposits WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER withdrawals_insert_announced AFTER INSERT ON withdrawals BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER withdrawals_update_announced AFTER UPDATE OF state ON withdrawals WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_cases_insert_announced AFTER INSERT ON kyc_cases BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_cases_update_announced AFTER UPDATE ON kyc_cases BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_documents_insert_announced AFTER INSERT ON kyc_documents BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_documents_update_announced AFTER UPDATE OF state ON kyc_documents WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_documents_delete_announced AFTER DELETE ON kyc_documents BEGIN
    INSERT INTO account_changes (login, at) VALUES (OLD.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER kyc_events_insert_announced AFTER INSERT ON kyc_events BEGIN
    INSERT INTO account_changes (login, at) VALUES (NEW.login, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
