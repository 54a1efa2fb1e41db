set(TEST_DEPS passerelle_federation OpenSSL::Crypto)
