# The tests run the real gateway and its plugins as processes, so they must be built first.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
# sqlite3 to age an outbox row and a job's last run (what days of waiting would do).
set(TEST_DEPS Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation sqlite3)
