set(TEST_DEPS passerelle_plugin)
# The tests dlopen these, so they must be built first.
set(TEST_BUILD_DEPS source.csv source.jsonl sink.csv bad_abi)
