-- One database per service (PRODUCT.md X7): each service owns its tables and reaches the others
-- only over HTTP. Run once by the postgres image on an empty data volume.
CREATE DATABASE catalog;
CREATE DATABASE groups;
CREATE DATABASE bidding;
CREATE DATABASE payments;
CREATE DATABASE shipping;
