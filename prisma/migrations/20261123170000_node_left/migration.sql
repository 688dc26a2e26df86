-- A node that leaves the cluster for good (its collector says so): its facts end, its status is
-- 'left' (already in node_status), and the history gets a 'left' event.
ALTER TYPE node_event_type ADD VALUE IF NOT EXISTS 'left';
