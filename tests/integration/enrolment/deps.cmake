# The whole enrolment ceremony through the real binary, then a transfer over mutual
# TLS with the certificates it issued: the gateway and its plugins are built first.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation)
