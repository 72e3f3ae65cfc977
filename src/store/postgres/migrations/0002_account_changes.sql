-- #16: a trader's screens follow their account live (deposits, withdrawals,
-- KYC) instead of polling. Every write to those tables sends a NOTIFY with
-- the account's login, delivered when (and only if) the writer's
-- transaction commits, whatever code or instance made it; every instance
-- LISTENs and wakes the streams of that account.
CREATE FUNCTION inapp_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('inapp_account', OLD.login::text);
    ELSE
        PERFORM pg_notify('inapp_account', NEW.login::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER deposits_announced AFTER INSERT OR UPDATE ON deposits FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER withdrawals_announced AFTER INSERT OR UPDATE ON withdrawals FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_cases_announced AFTER INSERT OR UPDATE ON kyc_cases FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_documents_announced AFTER INSERT OR UPDATE OR DELETE ON kyc_documents FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_events_announced AFTER INSERT ON kyc_events FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
