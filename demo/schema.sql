-- demo/schema.sql -- tables of the bundled Complete Journey sample (see demo/SOURCE.md).
CREATE SCHEMA demo;

CREATE TABLE demo.transactions (
    household_id int NOT NULL, store_id int, basket_id bigint, product_id int, quantity int,
    sales_value numeric(10,2), retail_disc numeric(10,2), coupon_disc numeric(10,2),
    coupon_match_disc numeric(10,2), week int, transaction_timestamp timestamp NOT NULL
);
CREATE TABLE demo.products (
    product_id int PRIMARY KEY, manufacturer_id int, department text, brand text,
    product_category text, product_type text, package_size text
);
CREATE TABLE demo.households (
    household_id int PRIMARY KEY, age text, income text, home_ownership text, marital_status text,
    household_size text, household_comp text, kids_count text
);
CREATE TABLE demo.campaigns (campaign_id int, household_id int);
CREATE TABLE demo.campaign_descriptions (campaign_id int PRIMARY KEY, campaign_type text, start_date date, end_date date);
CREATE TABLE demo.coupon_redemptions (household_id int, coupon_upc text, campaign_id int, redemption_date date);
