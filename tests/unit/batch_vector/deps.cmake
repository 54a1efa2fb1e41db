set(TEST_DEPS passerelle_privacy)
