# The tests run the real gateway as a process; they speak TLS with raw OpenSSL
# clients (to control ciphers, versions and sessions), read /metrics with Poco,
# and start the real server context in-process for ExchangeClient's limits.
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS passerelle_transport Poco::Net Poco::NetSSL Poco::Crypto Poco::JSON Poco::Foundation OpenSSL::SSL
  OpenSSL::Crypto)
