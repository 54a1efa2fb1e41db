set(TEST_DEPS passerelle_ledger)
