set(TEST_DEPS passerelle_transport OpenSSL::Crypto)
