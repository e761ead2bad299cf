-- Read models of one generation. Every table lives in the generation's schema (the migrator
-- runs with search_path set to it), so `ecites replay` can build a fresh generation beside the
-- live one and swap the two by renaming schemas. Every value is derived from events only
-- (no now(), no random): a rebuild must equal an incremental projection row for row.

-- How far each Party's stream has been applied; written in the same transaction as the batch.
CREATE TABLE checkpoint (
    party    text PRIMARY KEY,
    sequence bigint NOT NULL
);

-- Applications and permits, current state. `state` is the projector's whole view (JSON); the
-- columns are what lists filter and sort on.
CREATE TABLE permits (
    permit_id          uuid PRIMARY KEY,
    party              text NOT NULL,
    organisation_id    uuid,
    document_type      text,
    status             text NOT NULL,
    exporting_country  text,
    importing_country  text,
    permit_number      text,
    security_stamp     bigint,
    issued_on          date,
    valid_until        date,
    endorsed_on        date,
    submitted_at       timestamptz,
    updated_at         timestamptz NOT NULL,
    assigned_officer   text,
    fee_minor          bigint,
    fee_currency       text,
    paid_minor         bigint NOT NULL DEFAULT 0,
    fee_waived         boolean NOT NULL DEFAULT false,
    express            boolean NOT NULL DEFAULT false,
    -- Scientific names of every line, for search ("Python regius; Panthera pardus").
    species            text NOT NULL DEFAULT '',
    line_count         integer NOT NULL DEFAULT 0,
    version            bigint NOT NULL,
    last_sequence      bigint NOT NULL,
    state              jsonb NOT NULL
);
CREATE INDEX permits_party_status ON permits (party, status, updated_at DESC);
CREATE INDEX permits_party_number ON permits (party, permit_number);
CREATE INDEX permits_organisation ON permits (organisation_id, updated_at DESC);
CREATE INDEX permits_party_updated ON permits (party, updated_at DESC);
CREATE INDEX permits_party_issued ON permits (party, issued_on);

-- Trade records: one row per permit line, as applied for / issued and as actually endorsed.
CREATE TABLE permit_lines (
    permit_id            uuid NOT NULL,
    line_no              integer NOT NULL,
    party                text NOT NULL,
    status               text NOT NULL,
    document_type        text,
    permit_number        text,
    exporting_country    text,
    importing_country    text,
    issued_on            date,
    endorsed_on          date,
    taxon_id             bigint NOT NULL,
    scientific_name      text NOT NULL,
    kingdom              text NOT NULL,
    appendix             text,          -- NULL: a species on the national list only
    listing_party        text,
    source               text NOT NULL,
    purpose              text NOT NULL,
    term                 text NOT NULL,
    unit                 text,          -- NULL: number of specimens
    quantity_thousandths bigint NOT NULL,
    endorsed_thousandths bigint,        -- NULL until endorsed
    origin_country       text,
    origin_permit        text,
    reexport_country     text,
    reexport_permit      text,
    import_permit        text,
    PRIMARY KEY (permit_id, line_no)
);
CREATE INDEX permit_lines_party_taxon ON permit_lines (party, taxon_id);
CREATE INDEX permit_lines_party_issued ON permit_lines (party, issued_on);
CREATE INDEX permit_lines_party_endorsed ON permit_lines (party, endorsed_on);

-- Every event of every permit, for auditors: who, when, which key, and the chain link.
CREATE TABLE permit_events (
    permit_id    uuid NOT NULL,
    version      bigint NOT NULL,
    sequence     bigint NOT NULL,
    party        text NOT NULL,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor_id     text NOT NULL,
    actor_role   text NOT NULL,
    command_id   uuid NOT NULL,
    key_id       text NOT NULL,
    hash         text NOT NULL,
    prev_hash    text NOT NULL,
    -- The signature was checked when projected (an event that fails stops the projector).
    signature_verified boolean NOT NULL,
    -- prev_hash is the hash of this permit's previous event.
    chain_linked boolean NOT NULL,
    payload      jsonb NOT NULL,
    PRIMARY KEY (permit_id, version)
);

CREATE TABLE organisations (
    organisation_id     uuid PRIMARY KEY,
    party               text NOT NULL,
    name                text NOT NULL,
    registration_number text NOT NULL,
    country             text NOT NULL,
    status              text NOT NULL,
    registered_at       timestamptz NOT NULL,
    version             bigint NOT NULL,
    last_sequence       bigint NOT NULL
);
CREATE INDEX organisations_party ON organisations (party, name);

CREATE TABLE organisation_members (
    organisation_id uuid NOT NULL,
    user_id         text NOT NULL,
    capacity        text NOT NULL,          -- member | agent
    agency_organisation_id uuid,
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);

-- The species catalogue as the Party applies it, with the listing in force.
CREATE TABLE taxa (
    party          text NOT NULL,
    taxon_id       bigint NOT NULL,
    full_name      text NOT NULL,
    author_year    text,
    rank           text NOT NULL,
    kingdom        text NOT NULL,
    phylum         text,
    class          text,
    taxon_order    text,
    family         text,
    genus          text,
    appendix       text,
    listing_party  text,
    listed_since   date,
    annotation     text,
    synonyms       text NOT NULL DEFAULT '',
    common_names   text NOT NULL DEFAULT '',
    suspended      boolean NOT NULL DEFAULT false,
    content_hash   text NOT NULL,
    last_sequence  bigint NOT NULL,
    PRIMARY KEY (party, taxon_id)
);
CREATE INDEX taxa_name ON taxa (party, lower(full_name) text_pattern_ops);

CREATE TABLE quotas (
    quota_id        text PRIMARY KEY,
    party           text NOT NULL,
    taxon_id        bigint NOT NULL,
    scientific_name text NOT NULL,
    year            integer NOT NULL,
    term            text,
    unit            text,
    source          text,
    domestic        boolean NOT NULL,
    annual_thousandths   bigint NOT NULL,
    reserved_thousandths bigint NOT NULL DEFAULT 0,
    used_thousandths     bigint NOT NULL DEFAULT 0,
    notes           text,
    last_sequence   bigint NOT NULL
);
CREATE INDEX quotas_party_year ON quotas (party, year);

-- Fees charged and payments received, one row per money event.
CREATE TABLE payments (
    party        text NOT NULL,
    sequence     bigint NOT NULL,
    permit_id    uuid,
    account_id   uuid,
    kind         text NOT NULL,   -- fee_assessed | payment | fee_waived | deposit | debit
    method       text,
    reference    text,
    amount_minor bigint NOT NULL,
    currency     text NOT NULL,
    recorded_at  timestamptz NOT NULL,
    actor_id     text NOT NULL,
    PRIMARY KEY (party, sequence)
);
CREATE INDEX payments_permit ON payments (permit_id);

CREATE TABLE prepayment_accounts (
    account_id      uuid PRIMARY KEY,
    party           text NOT NULL,
    organisation_id uuid NOT NULL,
    currency        text NOT NULL,
    balance_minor   bigint NOT NULL,
    last_sequence   bigint NOT NULL
);

-- The Party's configuration: national list (non-CITES species needing a permit), domestic
-- measures, fee schedule.
CREATE TABLE national_list (
    party           text NOT NULL,
    taxon_id        bigint NOT NULL,
    scientific_name text NOT NULL,
    note            text,
    PRIMARY KEY (party, taxon_id)
);

CREATE TABLE domestic_measures (
    party           text NOT NULL,
    measure_id      text NOT NULL,
    taxon_id        bigint NOT NULL,
    scientific_name text NOT NULL,
    description     text NOT NULL,
    detail          jsonb NOT NULL,
    PRIMARY KEY (party, measure_id)
);

CREATE TABLE fee_schedules (
    party      text PRIMARY KEY,
    currency   text NOT NULL,
    rules      jsonb NOT NULL,
    set_at     timestamptz NOT NULL
);

-- Dashboard aggregates, maintained as permits are issued.
CREATE TABLE dashboard_species (
    party           text NOT NULL,
    year            integer NOT NULL,
    taxon_id        bigint NOT NULL,
    scientific_name text NOT NULL,
    permits         bigint NOT NULL,
    lines           bigint NOT NULL,
    PRIMARY KEY (party, year, taxon_id)
);

CREATE TABLE dashboard_documents (
    party         text NOT NULL,
    year          integer NOT NULL,
    document_type text NOT NULL,
    issued        bigint NOT NULL,
    PRIMARY KEY (party, year, document_type)
);
