-- A credit that followed an unknown outcome is looked up again later: if an
-- earlier attempt landed after its settle time, cTrader holds two copies and
-- a person must reverse one (state 'duplicate', the copies in last_error).
ALTER TABLE credit_outbox ADD COLUMN audit_at INTEGER;
CREATE INDEX credit_outbox_audit ON credit_outbox (audit_at) WHERE audit_at IS NOT NULL;
