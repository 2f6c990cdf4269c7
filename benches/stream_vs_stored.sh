#!/usr/bin/env bash
# Streamed against stored metering: `tokenplan meter --stream always` and
# `--stream never` on the same session CSV, interleaved, wall time and peak
# RSS of each (/usr/bin/time -v), outputs compared byte for byte. Then a
# history COPIES times as long, fed through a pipe (no disk needed), metered
# streamed: its wall time and peak RSS.
#
#   benches/stream_vs_stored.sh [DIR] [RUNS] [COPIES]
#   TOKENPLAN_BIN=path/to/tokenplan benches/stream_vs_stored.sh [DIR] [RUNS] [COPIES]
#
# DIR holds sessions.csv (default target/bench-data, made by
#   python3 ../shared/tools/gen_usage.py --users 22000 --days 730 --seed 12 --out DIR
# when missing); RUNS defaults to 3, COPIES to 10 (0 skips the piped run).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/bench-data}"
runs="${2:-3}"
copies="${3:-10}"
out="target/bench-out/stream"
mkdir -p "$out"
if [ ! -f "$dir/sessions.csv" ]; then
  python3 ../shared/tools/gen_usage.py --users 22000 --days 730 --seed 12 --out "$dir"
fi
bin="${TOKENPLAN_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin tokenplan
  bin="${CARGO_TARGET_DIR:-target}/release/tokenplan"
fi
scenario=benches/calendar_day.ron

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" 2> "$out/$name.time" > "$out/$name.stdout" || { tail -30 "$out/$name.time"; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$out/$name.time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$out/$name.time" | awk '{print $NF}')
  printf '%-16s wall %8s   peak RSS %8.1f MiB\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)"
}

lines=$(($(wc -l < "$dir/sessions.csv") - 1))
echo "$dir/sessions.csv: $lines sessions, $(du -h "$dir/sessions.csv" | cut -f1)"
for i in $(seq 1 "$runs"); do
  for mode in never always; do
    measure "$mode-$i" "$bin" meter --scenario "$scenario" "$dir/sessions.csv" --by product --stream "$mode"
  done
  cmp -s "$out/never-$i.stdout" "$out/always-$i.stdout" || { echo "outputs DIFFER"; exit 1; }
done
echo "outputs identical ($(($(wc -l < "$out/never-1.stdout") - 1)) products)"

if [ "$copies" -gt 0 ]; then
  fifo="$out/sessions.pipe"
  rm -f "$fifo"
  mkfifo "$fifo"
  # The header once, then the sessions COPIES times: the same (user,
  # product, date) sets, so the charges equal the single file's.
  { head -n 1 "$dir/sessions.csv"; for _ in $(seq 1 "$copies"); do tail -n +2 "$dir/sessions.csv"; done; } > "$fifo" &
  feeder=$!
  echo "piped: $((lines * copies)) sessions ($copies copies)"
  measure "piped-x$copies" "$bin" meter --scenario "$scenario" "$fifo" --by product --stream always
  wait "$feeder"
  rm -f "$fifo"
  grep -E '^ +sessions:' "$out/piped-x$copies.time" || true
  cmp -s "$out/never-1.stdout" "$out/piped-x$copies.stdout" && echo "piped charges equal the single file's"
fi
