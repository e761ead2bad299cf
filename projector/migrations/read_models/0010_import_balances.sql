-- What the Party's re-exports drew on each line of its own import permits (issue #10,
-- Art. III.4(a), IV.5(a)): held by issued re-export certificates, and re-exported, so that the
-- import permit's page says how much of the import is left.
CREATE TABLE import_balances (
    party                  text NOT NULL,
    import_permit_id       uuid NOT NULL,
    line_no                integer NOT NULL,
    drawn_thousandths      bigint NOT NULL DEFAULT 0,
    reexported_thousandths bigint NOT NULL DEFAULT 0,
    last_sequence          bigint NOT NULL,
    PRIMARY KEY (party, import_permit_id, line_no)
);
