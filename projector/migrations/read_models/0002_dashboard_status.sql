-- Applications and permits per status, kept as counters so the dashboard does not scan
-- every permit of the Party.
CREATE TABLE dashboard_status (
    party   text NOT NULL,
    status  text NOT NULL,
    permits bigint NOT NULL,
    PRIMARY KEY (party, status)
);
