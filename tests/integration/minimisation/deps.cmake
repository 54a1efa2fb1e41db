# Real gateway processes and plugins, then the Region's stored batches opened in-process.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS passerelle_config passerelle_privacy Poco::JSON Poco::Foundation)
