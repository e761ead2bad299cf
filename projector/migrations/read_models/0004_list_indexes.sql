-- Lists sort with NULLS LAST and end with the permit id; indexes in the same order let the
-- first page of a million permits be read from the index instead of sorting them all.
DROP INDEX permits_party_updated;
DROP INDEX permits_party_status;
DROP INDEX permits_organisation;
DROP INDEX permits_party_issued;
CREATE INDEX permits_party_updated ON permits (party, updated_at DESC NULLS LAST);
CREATE INDEX permits_party_status ON permits (party, status, updated_at DESC NULLS LAST);
CREATE INDEX permits_organisation ON permits (organisation_id, updated_at DESC NULLS LAST);
CREATE INDEX permits_party_issued ON permits (party, issued_on DESC NULLS LAST);
-- Work queues read the oldest first (ASC NULLS LAST, the default order).
CREATE INDEX permits_party_submitted ON permits (party, submitted_at);
