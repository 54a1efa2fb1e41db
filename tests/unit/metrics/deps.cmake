set(TEST_DEPS passerelle_metrics)
