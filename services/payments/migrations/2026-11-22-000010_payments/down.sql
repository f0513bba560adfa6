DROP TABLE settlements;
DROP TABLE webhook_events;
DROP TABLE ledger_lines;
DROP TABLE ledger_entries;
DROP TABLE operations;
DROP TABLE refunds;
DROP TABLE payments;
