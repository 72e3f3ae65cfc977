-- Sign-in throttling per client address (security::throttle): the
-- (account, address) pairs that signed in successfully, so that when one
-- account is guessed at from many addresses, its owner's usual address can
-- still sign in while new addresses are refused.
CREATE TABLE sign_in_known (
    key_hash TEXT PRIMARY KEY NOT NULL,
    at       INTEGER NOT NULL
);
