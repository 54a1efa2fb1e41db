# The tests run the real gateway and its plugins as processes, so they must be built first.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
# sqlite3 and libpq to read both sides of the move, and to set up what the tests need.
# passerelle_ledger to blank old entries as retention does.
set(TEST_DEPS passerelle_ledger Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation sqlite3 PostgreSQL::PostgreSQL)
