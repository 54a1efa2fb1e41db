# source.rest is dlopened through the host's own loader (passerelle_plugin);
# the last test runs the real gateway, so it and the other plugins are built first.
set(TEST_BUILD_DEPS passerelle source.rest source.csv sink.csv)
set(TEST_DEPS passerelle_plugin Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation)
