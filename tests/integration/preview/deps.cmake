# passerelle preview runs as the real binary with the real source.csv plugin.
set(TEST_BUILD_DEPS passerelle source.csv)
# Poco to parse what it prints.
set(TEST_DEPS Poco::JSON Poco::Foundation)
