-- Storefronts' webhook endpoints (PRODUCT.md G9): group events are signed with the endpoint's
-- Standard Webhooks secret and delivered through the outbox; an endpoint may follow one group or
-- every group.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    group_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_group ON webhook_endpoints (group_id);
