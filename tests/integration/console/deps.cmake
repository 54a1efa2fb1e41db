# The tests start the real gateway and its console as processes, so they must be built first.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
# Poco for the plain-HTTP client and JSON.
set(TEST_DEPS Poco::Net Poco::JSON Poco::Foundation)
