-- mktdb 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.2.0'" to load this file. \quit

COMMENT ON FUNCTION mktdb.arima_forecast(text, text, text, text, text[], int, int, int[], int[]) IS
'Fits seasonal ARIMA per series (given orders: exact ML as R arima(method = "ML"); pdq NULL: orders chosen as R forecast::auto.arima), stores the model, returns the forecasts with 80 % and 95 % intervals';
