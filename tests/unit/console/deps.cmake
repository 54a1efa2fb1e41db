set(TEST_DEPS passerelle_console)
