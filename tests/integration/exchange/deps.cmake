# The tests run the real gateway and its plugins as processes, so they must be built first.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
# Poco for the certificate-less TLS client and JSON; sqlite3 to tamper with a ledger.
# passerelle_privacy to seal and sign crafted batches with a real institution key.
set(TEST_DEPS passerelle_privacy Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation sqlite3)
