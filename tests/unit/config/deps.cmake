set(TEST_DEPS passerelle_config)
