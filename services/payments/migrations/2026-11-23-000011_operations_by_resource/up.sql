-- Finds the operations still open on a payment, so that a second one waits its turn (issue 7).
CREATE INDEX operations_resource ON operations (resource_id, response_status);
