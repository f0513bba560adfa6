DROP TABLE base_webhook_messages;
DROP TABLE shipment_events;
DROP TABLE shipments;
DROP TABLE base_suppliers;
DROP TABLE shipping_bases;
