# Real gateway processes and plugins, killed and restarted; state.db read through sqlite3.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS Poco::JSON Poco::Foundation sqlite3)
