"""Market data: candles from files, from an exchange through ccxt, and a Parquet cache."""
