-- mktdb 0.2.0 -> 0.3.0
-- Sections follow the order of sql/ext/ (one per part of the extension script), so that
-- each capability's upgrade sits where its fresh-install SQL does.
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.3.0'" to load this file. \quit

-- 00_catalog

-- 10_kmeans

-- 20_rfm

-- 30_arima

-- 35_forecast

-- 40_recommend

-- 50_clv

-- 60_abtest

-- 70_charts

-- 90_operations

-- 95_comments
