DROP TABLE discount_rates;
DROP TABLE price_tiers;
DROP TABLE products;
DROP TABLE suppliers;
