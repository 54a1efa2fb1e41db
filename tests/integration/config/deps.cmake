# check-config runs the real binary and loads the real plugins.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation)
