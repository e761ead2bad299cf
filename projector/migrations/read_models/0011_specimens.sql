-- Specimens of the Management Authority's signatures and stamp (issue #14): what other Parties
-- and customs compare box 13 of a paper permit with, published beside the seal keys.
CREATE TABLE specimens (
    party         text NOT NULL,
    specimen_id   uuid NOT NULL,
    kind          text NOT NULL,        -- signature | stamp
    signatory     text,                 -- the signatory's user id, for a signature
    name          text NOT NULL,
    media_type    text NOT NULL,
    sha256        text NOT NULL,
    image         bytea NOT NULL,
    recorded_at   timestamptz NOT NULL,
    recorded_by   text NOT NULL,
    withdrawn_at  timestamptz,
    withdrawn_by  text,
    withdrawn_reason text,
    last_sequence bigint NOT NULL,
    PRIMARY KEY (party, specimen_id)
);
CREATE INDEX specimens_digest ON specimens (sha256);
