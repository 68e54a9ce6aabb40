-- The records whose deadline counts from their collection are found by
-- kind and collection time. The index leaves out the state: erasing or
-- anonymising a record then changes none of its entries, so a sweep that
-- erases a million records writes no page of it. A plan reads the state
-- from the record itself, tombstones of such kinds included.
DROP INDEX records_by_kind_state_collected;
CREATE INDEX records_by_kind_collected ON records (kind, collected_at);
