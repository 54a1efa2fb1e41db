# The whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (docs/fuzzing.md). Sourced after common.sh (and postgres.sh, whose
# PASSERELLE_TEST_POSTGRES the PostgreSQL tests then use):
#
#   run_sanitized_suite [ctest arguments]
#
# configures build/asan (PASSERELLE_SANITIZE=ON, clang-14) if it is not yet,
# builds it with -j2, runs ctest -j2 there and prints one line:
#   "sanitizers: N passed, M failed (ASan+UBSan, build X s, ctest Y s)".
# Returns ctest's status (non-zero on any failure, leak or UB report).
# shellcheck shell=bash

PASSERELLE_SANITIZE_BUILD_DIR=${PASSERELLE_SANITIZE_BUILD_DIR:-$BUILD_DIR/asan}
# Labels left out of the sanitized run: the benchmark smoke tests measure nothing
# that ASan could add to (their code runs in the unit and integration tests).
PASSERELLE_SANITIZE_EXCLUDE_LABELS=${PASSERELLE_SANITIZE_EXCLUDE_LABELS:-bench}

# ASan, LSan and UBSan settings for everything the suite starts, children included
# (they inherit them): stop at the first report, with a stack, and check leaks at
# exit. Suppressions name third-party leaks only (tests/fuzz/sanitizers/).
export_sanitizer_options() {
  local supp=$PASSERELLE_ROOT/tests/fuzz/sanitizers
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=0
  export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp
  # Deadlines in the tests (polling for a server, a child, a file) are multiplied
  # by this: instrumented code runs two to four times slower.
  export PASSERELLE_TEST_TIME_FACTOR=${PASSERELLE_TEST_TIME_FACTOR:-4}
  # The five-instance kill test sends 1,000 batches in the plain build; 250 take every
  # path it has (the kills come at 40 %) in a third of the time under ASan.
  export PASSERELLE_INSTANCES_BATCHES=${PASSERELLE_INSTANCES_BATCHES:-250}
}

run_sanitized_suite() {
  local dir=$PASSERELLE_SANITIZE_BUILD_DIR jobs=${PASSERELLE_JOBS:-2}
  local rel=${dir#"$PASSERELLE_ROOT"/}
  install_missing_packages "${PASSERELLE_FUZZ_PACKAGES[@]}"
  export_sanitizer_options
  mkdir -p "$dir"
  if [[ ! -f $dir/CMakeCache.txt ]]; then
    cmake -S "$PASSERELLE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 -DPASSERELLE_SANITIZE=ON \
      >"$dir/configure.log" 2>&1 \
      || { cat "$dir/configure.log" >&2; echo "error: cmake could not configure $rel" >&2; return 1; }
  fi
  say "building the sanitized suite into $rel/ (clang-14, ASan, UBSan; output: $rel/build.log)"
  local start=$SECONDS
  if ! cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
    grep -E -A5 'error|Error' "$dir/build.log" | head -n 80 >&2
    echo "sanitizers: the build failed (full output in $dir/build.log)" >&2
    return 1
  fi
  local built=$((SECONDS - start))
  say "running the tests under ASan and UBSan (log: $rel/ctest.log)"
  start=$SECONDS
  local status=0
  (cd "$dir" && PASSERELLE_E2E_REQUIRED=${PASSERELLE_E2E_REQUIRED:-1} ctest --output-on-failure \
    --timeout $((600 * 2)) -j"$jobs" -LE "$PASSERELLE_SANITIZE_EXCLUDE_LABELS" "$@") \
    >"$dir/ctest.log" 2>&1 || status=$?
  local ran=$((SECONDS - start))
  local summary
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$dir/ctest.log" | tail -n 1 || true)
  if ((status != 0)); then
    # The failed tests' output, with the sanitizer report in it.
    sed -n '/The following tests FAILED/,$p' "$dir/ctest.log" >&2
    grep -E -B2 -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$dir/ctest.log" | head -n 120 >&2
  fi
  if [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    echo "sanitizers: $((BASH_REMATCH[2] - BASH_REMATCH[1])) passed, ${BASH_REMATCH[1]} failed (ASan+UBSan; build ${built} s, ctest ${ran} s)"
  else
    echo "sanitizers: ctest did not run to the end (exit $status; see $dir/ctest.log)"
    ((status != 0)) || status=1
  fi
  return "$status"
}
