# Real gateway processes and plugins; requests built and signed in the test with the
# project's own libraries (send/extraction.h), sent with its mutual-TLS client.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS passerelle_daemon Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation)
