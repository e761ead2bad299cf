-- The payload's schema version, so that a timeline row is read back (the auditor's "permit
-- as it stood at an event") from its own version through the ledger's upcasters, as the
-- projector reads the event. Rows written before this column only ever held version 1.
ALTER TABLE permit_events ADD COLUMN schema_version integer NOT NULL DEFAULT 1;
