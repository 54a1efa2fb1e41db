# check-config runs the real binary and loads the real plugins (the convention's
# files use source.csv, source.sql and source.rest).
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv source.sql source.rest sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation)
