set(TEST_DEPS passerelle_schedule)
