-- The permit's view and each event's payload are read whole, never searched inside: `json`
-- keeps their text as written and spares the projector a jsonb conversion on every write.
ALTER TABLE permits ALTER COLUMN state TYPE json USING state::json;
ALTER TABLE permit_events ALTER COLUMN payload TYPE json USING payload::json;
