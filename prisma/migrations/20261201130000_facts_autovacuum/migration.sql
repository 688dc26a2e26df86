-- Vacuum the facts table early. Closing a version rewrites its row, leaving a dead one whose index
-- entries still match "valid now" and "valid at T" until vacuum removes them: with the default
-- thresholds (20% of the table), a table of 6.6 M versions collects 1.3 M dead rows first, and
-- 226 k of them already made the state at a moment 2.5x slower to read (apps/api/bench). 2% keeps
-- them to a small share; analyze as often, so the planner's view of the time columns stays current.
ALTER TABLE facts SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_insert_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_analyze_threshold = 10000
);
