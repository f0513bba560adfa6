DROP TABLE offers;
DROP TABLE bid_requests;
