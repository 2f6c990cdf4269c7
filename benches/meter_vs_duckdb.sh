#!/usr/bin/env bash
# Head-to-head: `tokenplan meter` under CalendarDay against DuckDB on the same
# sessions, measured in the same run (wall time and peak RSS via
# /usr/bin/time -v), charges compared exactly.
#
#   benches/meter_vs_duckdb.sh [DIR]
#   TOKENPLAN_BIN=path/to/tokenplan benches/meter_vs_duckdb.sh [DIR]
#
# DIR defaults to target/bench-data; it is made with
#   python3 ../shared/tools/gen_usage.py --users 22000 --days 730 --seed 12 --out DIR
# when DIR/sessions.csv is missing (about 600 MB). Needs `pip install duckdb`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/bench-data}"
out="target/bench-out"
mkdir -p "$out"
if [ ! -f "$dir/sessions.csv" ]; then
  python3 ../shared/tools/gen_usage.py --users 22000 --days 730 --seed 12 --out "$dir"
fi
# TOKENPLAN_BIN: a release binary built elsewhere (else one is built here).
bin="${TOKENPLAN_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin tokenplan
  bin="${CARGO_TARGET_DIR:-target}/release/tokenplan"
fi

cat > "$out/duck.py" <<'PY'
import duckdb, sys
path, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone='America/New_York'")
rows = con.execute(f"""
WITH s AS (SELECT lower(trim("user")) u, product p, ("start" AT TIME ZONE 'America/New_York') ls, ("end" AT TIME ZONE 'America/New_York') le
           FROM read_csv('{path}', header=true, columns={{'user':'VARCHAR','product':'VARCHAR','host':'VARCHAR','start':'TIMESTAMPTZ','end':'TIMESTAMPTZ'}})),
     d AS (SELECT u, p, unnest(generate_series(ls::DATE, (CASE WHEN le > ls AND le = date_trunc('day', le) THEN le - INTERVAL 1 DAY ELSE le END)::DATE, INTERVAL 1 DAY))::DATE AS day FROM s)
SELECT u, p, count(DISTINCT day) FROM d GROUP BY u, p ORDER BY u, p
""").fetchall()
with open(out, "w") as f:
    for u, p, c in rows:
        f.write(f"{u},{p},{c}\n")
PY

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" 2> "$out/$name.time" > "$out/$name.stdout" || { cat "$out/$name.time"; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$out/$name.time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$out/$name.time" | awk '{print $NF}')
  printf '%-10s wall %8s   peak RSS %7.1f MiB\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)"
}

measure duckdb python3 "$out/duck.py" "$dir/sessions.csv" "$out/duckdb.csv"
measure tokenplan "$bin" meter --scenario benches/calendar_day.ron "$dir/sessions.csv"

# Same charges, exactly: tokenplan prints user,product,charges,tokens.
tail -n +2 "$out/tokenplan.stdout" | awk -F, '{print tolower($1)","$2","$3}' | sort > "$out/tokenplan.sorted"
sort "$out/duckdb.csv" > "$out/duckdb.sorted"
if cmp -s "$out/tokenplan.sorted" "$out/duckdb.sorted"; then
  echo "charges identical: $(wc -l < "$out/duckdb.sorted") (user, product) pairs"
else
  echo "charges DIFFER:"; diff "$out/duckdb.sorted" "$out/tokenplan.sorted" | head -20; exit 1
fi
