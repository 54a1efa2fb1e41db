set(TEST_DEPS passerelle_record)
