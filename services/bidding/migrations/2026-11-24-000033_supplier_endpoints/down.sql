DROP TABLE supplier_endpoints;
