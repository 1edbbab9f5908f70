-- The run of the tick that recorded a schedule's plan: the next tick counts as left behind exactly the
-- series that run did not take (not every series whose last tick is older than one period, which
-- also counted never-synced series and series after a gap or a schedule pause).
ALTER TABLE sync_demand ADD COLUMN run_id text;
