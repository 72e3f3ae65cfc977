-- Withdrawals: requested by the trader, approved by finance (a second,
-- different finance user above the currency's four-eyes amount), debited in
-- cTrader exactly once through debit_outbox (the credit outbox's twin), then
-- paid by finance with the bank's reference. New tables, so the allowed
-- values are real CHECK constraints.
CREATE TABLE withdrawals (
    id                 TEXT PRIMARY KEY NOT NULL,
    login              INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    idempotency_key    TEXT NOT NULL,
    currency           TEXT NOT NULL,
    digits             INTEGER NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    -- Where the money goes: a bank account (IBAN and holder) or back to the
    -- card of a credited card deposit.
    payout             TEXT NOT NULL CHECK (payout IN ('bank', 'card')),
    iban               TEXT,
    holder             TEXT,
    card_deposit_id    TEXT REFERENCES deposits (id),
    state              TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'debited', 'paid', 'rejected', 'cancelled')),
    -- Why it was rejected: 'finance' (reason is what finance wrote),
    -- 'insufficient_balance' or 'platform' (cTrader refused the debit).
    reject_code        TEXT CHECK (reject_code IN ('finance', 'insufficient_balance', 'platform')),
    reason             TEXT,
    four_eyes          INTEGER NOT NULL CHECK (four_eyes IN (0, 1)),
    first_approved_by  INTEGER REFERENCES staff (id),
    approved_by        INTEGER REFERENCES staff (id),
    approved_at        INTEGER,
    rejected_by        INTEGER REFERENCES staff (id),
    balance_history_id INTEGER,
    paid_reference     TEXT,
    paid_by            INTEGER REFERENCES staff (id),
    paid_at            INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (login, idempotency_key),
    CHECK ((payout = 'bank') = (iban IS NOT NULL AND holder IS NOT NULL)),
    CHECK ((payout = 'card') = (card_deposit_id IS NOT NULL)),
    -- Four eyes: the final approval is someone else's than the first.
    CHECK (four_eyes = 0 OR approved_by IS NULL OR (first_approved_by IS NOT NULL AND approved_by != first_approved_by)),
    CHECK ((state = 'rejected') = (reject_code IS NOT NULL)),
    CHECK (state NOT IN ('debited', 'paid') OR balance_history_id IS NOT NULL),
    CHECK ((state = 'paid') = (paid_reference IS NOT NULL))
);
CREATE INDEX withdrawals_login ON withdrawals (login, created_at);
CREATE INDEX withdrawals_state ON withdrawals (state, created_at);
CREATE INDEX withdrawals_card ON withdrawals (card_deposit_id) WHERE card_deposit_id IS NOT NULL;

-- The debits' transactional outbox, written in the transaction that
-- approves; the debiting worker takes rows whose lease has run out.
CREATE TABLE debit_outbox (
    withdrawal_id TEXT PRIMARY KEY NOT NULL REFERENCES withdrawals (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'done', 'refused', 'duplicate', 'reconciled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    locked_until  INTEGER,
    last_error    TEXT,
    audit_at      INTEGER,
    -- cTrader's refusal ('insufficient_balance' or 'platform') of a debit
    -- whose earlier attempt had an unknown outcome: the withdrawal stays
    -- approved until the second look shows whether that attempt landed.
    refused_code  TEXT
);
CREATE INDEX debit_outbox_due ON debit_outbox (state, next_at);
CREATE INDEX debit_outbox_audit ON debit_outbox (audit_at) WHERE audit_at IS NOT NULL;
