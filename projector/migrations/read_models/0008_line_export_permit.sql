-- An import permit's line names the exporter's export permit or re-export certificate it
-- relies on (issue #10), so that the importer's annual report fills its ExportPermit column.
-- Lines projected before hold NULL: their events had no such field.
ALTER TABLE permit_lines ADD COLUMN export_permit text;
