# Real gateway processes and plugins; the ledger file tampered with through sqlite3;
# retention run in-process on the gateways' real state.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS passerelle_audit Poco::JSON Poco::Foundation sqlite3)
