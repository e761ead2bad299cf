-- Suspensions, reservations and Appendix III listings a Party recorded itself (issue #10),
-- beside the Species+ data, so that the catalogue can say where each entry came from.
CREATE TABLE national_entries (
    party           text NOT NULL,
    entry_id        text NOT NULL,
    kind            text NOT NULL,        -- suspension | reservation | appendix_iii
    taxon_id        bigint,               -- NULL: a suspension of every taxon of a country
    scientific_name text,
    entry           json NOT NULL,        -- the entry as recorded (country, appendix, annotation)
    notification    text NOT NULL,
    starts_on       date NOT NULL,
    ends_on         date,                 -- the last day it applies
    lifted_reason   text,
    last_sequence   bigint NOT NULL,
    PRIMARY KEY (party, entry_id)
);
CREATE INDEX national_entries_taxon ON national_entries (party, taxon_id);
