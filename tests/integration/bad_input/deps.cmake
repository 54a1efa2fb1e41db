# Real transfers of damaged exports through the real binary and plugins.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation)
