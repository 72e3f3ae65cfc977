-- Bank transfers: a deposit waits in 'awaiting_funds' with its checked payment
-- reference (ISO 11649, kept in provider_payment_id) until finance records
-- the wire the bank received. A received wire credits its deposit once: one
-- wire per deposit, one deposit per statement entry.

CREATE UNIQUE INDEX deposits_provider_payment ON deposits (provider_payment_id, method) WHERE provider_payment_id IS NOT NULL;

DROP TRIGGER deposits_state_check_insert;
DROP TRIGGER deposits_state_check_update;
CREATE TRIGGER deposits_state_check_insert BEFORE INSERT ON deposits
WHEN NEW.state NOT IN ('pending', 'confirmed', 'credited', 'failed', 'cancelled', 'expired', 'review', 'awaiting_funds')
BEGIN SELECT RAISE(ABORT, 'deposits.state: unknown value'); END;
CREATE TRIGGER deposits_state_check_update BEFORE UPDATE OF state ON deposits
WHEN NEW.state NOT IN ('pending', 'confirmed', 'credited', 'failed', 'cancelled', 'expired', 'review', 'awaiting_funds')
BEGIN SELECT RAISE(ABORT, 'deposits.state: unknown value'); END;

DROP TRIGGER staff_role_check_insert;
DROP TRIGGER staff_role_check_update;
CREATE TRIGGER staff_role_check_insert BEFORE INSERT ON staff
WHEN NEW.role NOT IN ('admin', 'compliance', 'support', 'finance')
BEGIN SELECT RAISE(ABORT, 'staff.role: unknown value'); END;
CREATE TRIGGER staff_role_check_update BEFORE UPDATE OF role ON staff
WHEN NEW.role NOT IN ('admin', 'compliance', 'support', 'finance')
BEGIN SELECT RAISE(ABORT, 'staff.role: unknown value'); END;

-- Lines of imported bank statements (ISO 20022 camt.053). entry_key is the
-- bank's own reference for the line (or the statement id and position), so
-- importing the same file again adds nothing.
CREATE TABLE bank_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_key    TEXT NOT NULL UNIQUE,
    statement_id TEXT NOT NULL,
    amount       TEXT NOT NULL,          -- decimal as the bank wrote it
    currency     TEXT NOT NULL,
    value_date   TEXT NOT NULL,          -- YYYY-MM-DD
    reference    TEXT,                   -- a valid RF reference found in the line
    remittance   TEXT NOT NULL,          -- what the payer wrote, for manual assignment
    debtor       TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    -- Set aside by finance (not a deposit, or already recorded by hand).
    dismissed_by INTEGER REFERENCES staff (id),
    dismissed_at INTEGER
);

-- Money finance saw arrive for a deposit. Below the currency's four-eyes
-- amount it is approved as it is recorded; above it, by a second finance user.
CREATE TABLE bank_wires (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    deposit_id   TEXT NOT NULL UNIQUE REFERENCES deposits (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    value_date   TEXT NOT NULL,
    entry_id     INTEGER UNIQUE REFERENCES bank_entries (id),
    state        TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'approved')),
    -- Above the four-eyes amount: the approver must be someone else.
    four_eyes    INTEGER NOT NULL CHECK (four_eyes IN (0, 1)),
    recorded_by  INTEGER NOT NULL REFERENCES staff (id),
    recorded_at  INTEGER NOT NULL,
    approved_by  INTEGER REFERENCES staff (id),
    approved_at  INTEGER,
    CHECK (four_eyes = 0 OR approved_by IS NULL OR approved_by != recorded_by)
);
CREATE INDEX bank_wires_state ON bank_wires (state, recorded_at);
