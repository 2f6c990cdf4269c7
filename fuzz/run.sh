#!/bin/sh
# Builds the importers' fuzz target with libFuzzer on the stable toolchain
# and runs each target. Environment:
#   RUNS=N               executions per target (default 1000000)
#   TARGETS="a b"        which targets (default: all of fuzz_import.rs)
#   TOKENPLAN_REAL_LOGS  folder of real logs, added to every target's seeds
#   MAX_LEN=N            longest input libFuzzer makes, in bytes (default 8192)
# Corpora grow in fuzz/corpus/<target>, crashes land in fuzz/artifacts,
# libFuzzer's output in fuzz/logs/<target>.log.
set -eu
cd "$(dirname "$0")"
triple=$(rustc -vV | sed -n 's/^host: //p')
# The coverage instrumentation cargo-fuzz asks of rustc, without a
# sanitizer (those need a nightly compiler). `--target` keeps these flags
# off build scripts and proc macros.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
cargo build --release --target "$triple" --bin fuzz_import
bin="target/$triple/release/fuzz_import"
runs=${RUNS:-1000000}
targets=${TARGETS:-$(sed -n 's/^ *("\([a-z-]*\)", .*/\1/p' fuzz_targets/fuzz_import.rs)}
extra=""
if [ -n "${TOKENPLAN_REAL_LOGS:-}" ] && [ -d "$TOKENPLAN_REAL_LOGS" ]; then
    extra=$(find "$TOKENPLAN_REAL_LOGS" -mindepth 1 -maxdepth 1 -type d | tr '\n' ' ')
fi
mkdir -p corpus artifacts logs
for t in $targets; do
    mkdir -p "corpus/$t"
    seeds="seeds/$t"
    [ -d "$seeds" ] || seeds=""
    # shellcheck disable=SC2086
    FUZZ_TARGET=$t "$bin" "corpus/$t" $seeds $extra -runs="$runs" -max_len="${MAX_LEN:-8192}" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="artifacts/$t-" \
        >"logs/$t.log" 2>&1 || echo "$t: libFuzzer stopped with a finding, see logs/$t.log"
    printf '%s: ' "$t"
    grep -E '^stat::number_of_executed_units|^Done |^slowest so far' "logs/$t.log" | tail -3 | tr '\n' ' '
    echo
done
