#!/usr/bin/env bash
# `tokenplan audit` against `tokenplan meter` on the same files, measured in
# the same run: wall time and peak RSS of each (/usr/bin/time -v), runs
# interleaved (meter, audit, meter, audit, ...) so that the load of a shared
# machine falls on both alike; then the ratios of the medians.
#
#   benches/audit_vs_meter.sh [DIR] [RUNS] [SCENARIO]
#
# DIR holds sessions.csv and directory.csv (default target/bench-data, made
# as meter_vs_duckdb.sh makes it); RUNS defaults to 3; SCENARIO to
# benches/calendar_day.ron. The audit runs with its defaults (as of the last
# charged date, the three harvest policies, the shadow bill under every
# rule) and writes JSON, which is kept in target/bench-out/audit.json.
# TOKENPLAN_BIN names a release binary to run instead of building one (a
# copy, when the target directory is shared).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/bench-data}"
runs="${2:-3}"
scenario="${3:-benches/calendar_day.ron}"
out="target/bench-out"
mkdir -p "$out"
if [ ! -f "$dir/sessions.csv" ]; then
  python3 ../shared/tools/gen_usage.py --users 22000 --days 730 --seed 12 --out "$dir"
fi
if [ -n "${TOKENPLAN_BIN:-}" ]; then
  bin="$TOKENPLAN_BIN"
else
  cargo build --release --quiet --bin tokenplan
  bin="${CARGO_TARGET_DIR:-target}/release/tokenplan"
fi
inputs=("$dir/sessions.csv")
[ -f "$dir/directory.csv" ] && inputs+=("$dir/directory.csv")

measure() { # name, command...: prints "wall_seconds rss_kib"
  local name=$1; shift
  /usr/bin/time -v "$@" 2> "$out/$name.time" > "$out/$name.stdout" || { cat "$out/$name.time" >&2; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$out/$name.time" | awk '{print $NF}' \
    | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(grep 'Maximum resident set size' "$out/$name.time" | awk '{print $NF}')
  echo "$wall $rss"
}

: > "$out/audit_vs_meter.runs"
for i in $(seq 1 "$runs"); do
  read -r mw mr < <(measure meter "$bin" meter --scenario "$scenario" "${inputs[@]}")
  read -r aw ar < <(measure audit "$bin" audit --scenario "$scenario" "${inputs[@]}" --format json)
  cp "$out/audit.stdout" "$out/audit.json"
  printf 'run %d: meter %6.2f s %7.1f MiB   audit %6.2f s %7.1f MiB   time x%.2f  memory x%.2f\n' \
    "$i" "$mw" "$(echo "$mr/1024" | bc -l)" "$aw" "$(echo "$ar/1024" | bc -l)" \
    "$(echo "$aw/$mw" | bc -l)" "$(echo "$ar/$mr" | bc -l)"
  echo "$mw $mr $aw $ar" >> "$out/audit_vs_meter.runs"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mw=$(awk '{print $1}' "$out/audit_vs_meter.runs" | median)
mr=$(awk '{print $2}' "$out/audit_vs_meter.runs" | median)
aw=$(awk '{print $3}' "$out/audit_vs_meter.runs" | median)
ar=$(awk '{print $4}' "$out/audit_vs_meter.runs" | median)
printf 'median of %d: meter %.2f s %.1f MiB, audit %.2f s %.1f MiB: audit/meter time x%.2f, peak RSS x%.2f (target: x4, x2)\n' \
  "$runs" "$mw" "$(echo "$mr/1024" | bc -l)" "$aw" "$(echo "$ar/1024" | bc -l)" \
  "$(echo "$aw/$mw" | bc -l)" "$(echo "$ar/$mr" | bc -l)"
