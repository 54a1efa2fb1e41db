set(TEST_DEPS passerelle_send)
