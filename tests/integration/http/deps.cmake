# Real gateway processes for the listener's limits; in-process listeners
# (daemon/exchange_routes.h, transport/admin_server.h) to compare what is
# served with docs/openapi*.json and to scrape a test metrics registry.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv bench_mtls_load)
set(TEST_DEPS passerelle_daemon Poco::NetSSL Poco::Net Poco::Crypto Poco::JSON Poco::Foundation)
