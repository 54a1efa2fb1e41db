set(TEST_DEPS passerelle_database PostgreSQL::PostgreSQL)
