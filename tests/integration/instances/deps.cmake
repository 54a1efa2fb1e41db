# Real gateway processes (three institution instances, two Region ones) on the suite's
# PostgreSQL: libpq to make the databases' roles and read their tables as an operator
# would, libsodium to recompute the ledgers' Merkle roots, Poco::JSON for the transfers'
# summaries and the ledger entries; the fault fixture's headers bring sqlite3 along.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation PostgreSQL::PostgreSQL PkgConfig::SODIUM sqlite3)
