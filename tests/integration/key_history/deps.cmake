# Real gateway processes over mutual TLS; passerelle_party for the key history of the
# parties' real key folders (a retired key signing after its retirement is refused).
set(TEST_BUILD_DEPS passerelle synthetic-export source.csv sink.csv)
set(TEST_DEPS passerelle_party Poco::JSON Poco::Foundation)
