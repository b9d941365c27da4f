#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, in build-fuzz) and runs each for a
# number of seconds: the argument, else $QUIVER_FUZZ_SECONDS, else 60. Each
# starts from its seed corpus (tests/fuzz/corpus/<target>) and what earlier
# runs found (build-fuzz/corpus/<target>). Fails on the first crash, failed
# check, sanitizer report, leak or input slower than 25 s; the input is then
# in build-fuzz/artifacts and the log in build-fuzz/logs.
#
#   tests/fuzz/run.sh        # 60 s per target
#   tests/fuzz/run.sh 600    # a longer run
#   build-fuzz/tests/fuzz/fuzz_sql build-fuzz/artifacts/sql-crash-...   # replay one input
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-${QUIVER_FUZZ_SECONDS:-60}}
build=build-fuzz
targets=(vector table_spec sql shadow)

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="${QUIVER_FUZZ_CXX:-clang++-14}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_FUZZ=ON -DQUIVER_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# Stack traces for UBSan reports too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
mkdir -p "$build/artifacts" "$build/logs"
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus/$target"
  dictionary=()
  [ -f "tests/fuzz/$target.dict" ] && dictionary=(-dict="tests/fuzz/$target.dict")
  log="$build/logs/$target.log"
  echo "fuzz_$target: $seconds s (log: $log)"
  # libFuzzer logs every new input; show only the summary unless it fails.
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target-" "${dictionary[@]}" \
      "$build/corpus/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz_$target failed; the input is in $build/artifacts" >&2
    exit 1
  fi
  grep -E '^#[0-9]+ +DONE|^stat::number_of_executed_units|^stat::peak_rss_mb' "$log"
done
