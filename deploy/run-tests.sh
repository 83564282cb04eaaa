#!/usr/bin/env bash
# The second of the README's two commands: install what is missing, build, and run
# the whole test suite. Exits non-zero, loudly, when anything fails.
#
#   1. the normal build: every test (unit, integration, end-to-end with real processes
#      and a Python grpcio client);
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build: unit and integration tests
#      (parsing, validation, storage, the server on loopback);
#   3. a ThreadSanitizer build: the tests that exercise threads (the desk loop, the single
#      writer with concurrent readers). Debian's gRPC is not built with TSan, and its
#      internal hand-offs between threads are reported as races when our gRPC adapters
#      run under TSan, so the adapters are covered by the ASan build instead.
#
# Options: --quick runs step 1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

deploy/install-deps.sh --bench

passed=0
failed=0
failures=()

# Runs ctest in DIR with the given arguments and adds its counts to the totals.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local log="$dir/ctest.log"
  echo "=== $name: ctest $*"
  set +e
  (cd "$dir" && ctest --output-on-failure --timeout 600 "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line total fail
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1 || true)
  if [[ -z "$line" ]]; then
    failures+=("$name: ctest printed no summary (exit $rc)")
    failed=$((failed + 1))
    return
  fi
  fail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + total - fail))
  failed=$((failed + fail))
  if [[ $rc -ne 0 || $fail -ne 0 ]]; then failures+=("$name: $fail of $total failed"); fi
}

sanitizer_targets=(storage_unit_tests common_unit_tests customers_unit_tests server_unit_tests
                   routing_unit_tests cti_unit_tests supervisor_unit_tests tickets_unit_tests complaints_unit_tests
                   console_unit_tests crm_unit_tests
                   concurrency_tests integration_tests
                   routing_integration_tests)

echo "=== build: RelWithDebInfo"
deploy/build.sh "$root/build" -DSERVICEDESK_BENCHMARKS=ON
run_ctest "main" build -j2

if [[ $quick -eq 0 ]]; then
  echo "=== build: AddressSanitizer + UndefinedBehaviorSanitizer"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSERVICEDESK_ASAN=ON \
    -DSERVICEDESK_BENCHMARKS=OFF > build-asan.configure.log
  cmake --build build-asan -j "$(nproc)" --target "${sanitizer_targets[@]}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_ctest "asan" build-asan -j2 -L "unit|integration|concurrency"

  echo "=== build: ThreadSanitizer"
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSERVICEDESK_TSAN=ON \
    -DSERVICEDESK_BENCHMARKS=OFF > build-tsan.configure.log
  cmake --build build-tsan -j "$(nproc)" --target concurrency_tests
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp"
  run_ctest "tsan" build-tsan -j1 -L concurrency
fi

echo
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "FAILED:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && ${#failures[@]} -eq 0 ]]
