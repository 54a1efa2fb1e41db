set(TEST_DEPS passerelle_exchange)
