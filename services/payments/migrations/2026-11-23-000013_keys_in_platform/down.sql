CREATE TABLE operations (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    owner TEXT,
    PRIMARY KEY (scope, key)
);
CREATE INDEX operations_resource ON operations (resource_id, response_status);
