# The tests dlopen the real plugins, so they must be built first.
set(TEST_BUILD_DEPS source.sql sink.sql)
# The plugin host to load them; libpq and libsqlite3 to set up and inspect the databases.
set(TEST_DEPS passerelle_plugin PostgreSQL::PostgreSQL sqlite3)
