-- The kycType of the link a session was started from (#13: the level a
-- trader must pass is the broker's, recorded at the token exchange, never
-- taken from what the browser sends later).
ALTER TABLE sessions ADD COLUMN kyc_type TEXT;

-- A level compliance set is the case's for good: a link can no longer raise it.
ALTER TABLE kyc_cases ADD COLUMN level_locked INTEGER NOT NULL DEFAULT 0;
