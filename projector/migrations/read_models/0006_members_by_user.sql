-- A trader reads the data of the organisations that list it (as member or agent; a removal
-- deletes the row), so every trader read looks the viewer's organisations up by user id.
CREATE INDEX organisation_members_user ON organisation_members (user_id, organisation_id);
