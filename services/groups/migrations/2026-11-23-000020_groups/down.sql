DROP TABLE group_events;
DROP TABLE members;
DROP TABLE groups;
