# The ledger on the suite's PostgreSQL; libpq to tamper with and inspect its tables
# as their owner or as the gateway's role would.
set(TEST_DEPS passerelle_ledger PostgreSQL::PostgreSQL)
