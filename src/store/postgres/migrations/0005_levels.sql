-- #19: the screen that sent the trader into KYC (a deposit above the
-- verification level's limit, or the deposit screen in "KYC before the
-- first deposit" mode), so the KYC screens lead back to it.
ALTER TABLE sessions ADD COLUMN kyc_back TEXT;
