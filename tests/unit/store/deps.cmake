set(TEST_DEPS passerelle_store Poco::Data PostgreSQL::PostgreSQL)
