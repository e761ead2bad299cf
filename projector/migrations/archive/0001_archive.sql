-- The archive: every event of every Party verbatim (body bytes as signed, signature headers,
-- sequence), verified (signature and chain) before it is stored. A second copy of the ledger
-- that `ecites restore` can rebuild a damaged JetStream stream from. Never rebuilt by replay.

CREATE TABLE checkpoint (
    party    text PRIMARY KEY,
    sequence bigint NOT NULL
);

CREATE TABLE events (
    party      text NOT NULL,
    sequence   bigint NOT NULL,
    subject    text NOT NULL,
    body       bytea NOT NULL,
    key_id     text NOT NULL,
    signature  text NOT NULL,
    msg_id     text,
    stored_at  timestamptz NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (party, sequence)
);

-- Last version and hash of each aggregate, so verification continues across batches and
-- restarts without re-reading the archive.
CREATE TABLE aggregate_heads (
    party     text NOT NULL,
    aggregate text NOT NULL,   -- <type>/<id>
    version   bigint NOT NULL,
    hash      text NOT NULL,
    PRIMARY KEY (party, aggregate)
);
