set(TEST_DEPS passerelle_store PostgreSQL::PostgreSQL)
