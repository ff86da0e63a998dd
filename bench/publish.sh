#!/usr/bin/env bash
# Publishing at any archive size: publish latency, the neighbours' job, and
# the bulk rebuild of related stories (time and peak memory).
#
#   bench/publish.sh                         # SQLite, 1k 10k 100k articles
#   SIZES="1000 10000" bench/publish.sh
#   DATABASE=postgres://postgres@127.0.0.1:5432 bench/publish.sh
#
# For each size it seeds the demo newsroom (release build) into a fresh
# database (SQLite: a folder under $OUT; PostgreSQL: a database bench_N,
# dropped and created again), then
#   1. queues a bulk rebuild and runs it alone in `newsdesk jobs run --once`
#      under /usr/bin/time: wall time and peak RSS of the whole process;
#   2. runs `cargo bench -p newsdesk_app --bench publish`: 100 drafts copied
#      from articles spread over the archive are published one by one,
#      each publish timed, then the neighbours' job it queued.
# Prints one Markdown row per size; medians and 99th percentiles in ms.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000 100000"}
COUNT=${COUNT:-100}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet
cargo bench --quiet -p newsdesk_app --bench publish --no-run
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk

{
echo "# Publishing at any archive size"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg), ${DATABASE:+PostgreSQL}${DATABASE:-SQLite}, $COUNT publishes per size."
echo
echo "| backend | articles | publishes | publish p50 / p99 ms | neighbours job p50 / p99 ms | seed s | bulk rebuild s | rebuild peak RSS MiB |"
echo "|---|---:|---:|---|---|---:|---:|---:|"
} | tee "$OUT/publish.md"

for n in $SIZES; do
  data="$OUT/publish-$n"
  rm -rf "$data"
  if [ -n "${DATABASE:-}" ]; then
    psql "$DATABASE/postgres" -qc "DROP DATABASE IF EXISTS bench_$n" -c "CREATE DATABASE bench_$n" >/dev/null
    url="$DATABASE/bench_$n"
  else
    url="sqlite://$PWD/$data/newsdesk.db"
  fi
  t0=$(date +%s.%N)
  NEWSDESK_LOG=warn "$BIN" demo --articles "$n" --seed 7 --data-dir "$data" --database "$url" >/dev/null
  seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
  NEWSDESK_LOG=warn "$BIN" jobs rebuild-related --data-dir "$data" --database "$url" >/dev/null
  NEWSDESK_LOG=warn /usr/bin/time -f "%e %M" -o "$OUT/rebuild-$n.time" \
    "$BIN" jobs run --once --data-dir "$data" --database "$url" >/dev/null
  read -r rebuild_s rss_kb < "$OUT/rebuild-$n.time"
  row=$(cargo bench --quiet -p newsdesk_app --bench publish -- --database "$url" --count "$COUNT" | tail -n 1)
  IFS='|' read -r backend articles count publish neighbours <<< "$row"
  printf '| %s | %s | %s | %s | %s | %s | %.1f | %.0f |\n' \
    "$(echo "$backend" | xargs)" "$n" "$(echo "$count" | xargs)" "$(echo "$publish" | xargs)" \
    "$(echo "$neighbours" | xargs)" "$seed_s" "$rebuild_s" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" | tee -a "$OUT/publish.md"
done
echo
echo "Written to $OUT/publish.md"
