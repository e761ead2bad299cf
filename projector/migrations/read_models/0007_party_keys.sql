-- Every key of a read model names the Party (issue #17). Clients choose permit, organisation,
-- quota and account ids, so two Parties may hold the same id: a key without the Party let one
-- Party's events overwrite or hide another's rows, and let a member listed by one Party reach
-- the same organisation id of another. The tables are emptied and the checkpoints dropped, so
-- the projector rebuilds every row from the logs under the new keys (rows written under the
-- old ones may already be wrong: only the log can say what they should be).
TRUNCATE checkpoint, permits, permit_lines, permit_events, organisations, organisation_members,
    taxa, quotas, payments, prepayment_accounts, national_list, domestic_measures,
    fee_schedules, dashboard_species, dashboard_documents, dashboard_status;

ALTER TABLE permits DROP CONSTRAINT permits_pkey, ADD PRIMARY KEY (party, permit_id);
DROP INDEX permits_organisation;
CREATE INDEX permits_organisation ON permits (party, organisation_id, updated_at DESC NULLS LAST);

ALTER TABLE permit_lines DROP CONSTRAINT permit_lines_pkey,
    ADD PRIMARY KEY (party, permit_id, line_no);

ALTER TABLE permit_events DROP CONSTRAINT permit_events_pkey,
    ADD PRIMARY KEY (party, permit_id, version);

ALTER TABLE organisations DROP CONSTRAINT organisations_pkey,
    ADD PRIMARY KEY (party, organisation_id);

ALTER TABLE organisation_members ADD COLUMN party text NOT NULL;
ALTER TABLE organisation_members DROP CONSTRAINT organisation_members_pkey,
    ADD PRIMARY KEY (party, organisation_id, user_id);
DROP INDEX organisation_members_user;
CREATE INDEX organisation_members_user ON organisation_members (party, user_id, organisation_id);

ALTER TABLE quotas DROP CONSTRAINT quotas_pkey, ADD PRIMARY KEY (party, quota_id);

ALTER TABLE prepayment_accounts DROP CONSTRAINT prepayment_accounts_pkey,
    ADD PRIMARY KEY (party, account_id);

DROP INDEX payments_permit;
CREATE INDEX payments_permit ON payments (party, permit_id);
