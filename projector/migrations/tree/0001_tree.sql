-- The Merkle tree over each Party's stream (issue #12; events/src/merkle.rs): the hash of every
-- complete aligned block of leaves, from which any root and any proof is computed. A
-- projection like the others: its rows derive from the log alone (but for the witnesses'
-- co-signatures, which come from the witnesses), and `ecites replay` does not rebuild it.

CREATE TABLE checkpoint (
    party    text PRIMARY KEY,
    sequence bigint NOT NULL
);

-- level 0: the leaves (SHA-256(0x00 ‖ event hash)); level k, index i: leaves [i·2^k, (i+1)·2^k).
CREATE TABLE nodes (
    party text   NOT NULL,
    level integer NOT NULL,
    idx   bigint  NOT NULL,
    hash  bytea   NOT NULL,
    PRIMARY KEY (party, level, idx)
);

-- The last sequence of an event that is not itself a tree head: a tree head is due only when
-- something else was appended since the last one.
CREATE TABLE contents (
    party        text PRIMARY KEY,
    content_size bigint NOT NULL
);

-- The tree heads the log records (TreeHeadSigned events), by size.
CREATE TABLE tree_heads (
    party     text NOT NULL,
    size      bigint NOT NULL,
    root      text NOT NULL,
    signed_at timestamptz NOT NULL,
    key_id    text NOT NULL,
    signature text NOT NULL,
    sequence  bigint NOT NULL,
    PRIMARY KEY (party, size)
);

-- What witnesses co-signed, and what they refused.
CREATE TABLE cosignatures (
    party      text NOT NULL,
    size       bigint NOT NULL,
    witness    text NOT NULL,
    public_key text NOT NULL,
    signed_at  timestamptz NOT NULL,
    signature  text NOT NULL,
    PRIMARY KEY (party, size, witness)
);
CREATE TABLE witness_refusals (
    party     text NOT NULL,
    witness   text NOT NULL,
    size      bigint NOT NULL,
    reason    text NOT NULL,
    refused_at timestamptz NOT NULL,
    PRIMARY KEY (party, witness, size)
);
