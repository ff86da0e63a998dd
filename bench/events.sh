#!/usr/bin/env bash
# Event to invalidation between two processes: how long after a change made
# by one process (the `newsdesk article` command) a running server stops
# serving its cached page.
#
#   bench/events.sh                                             # SQLite
#   DATABASE=postgres://postgres@127.0.0.1:5432 bench/events.sh # PostgreSQL (database bench_events)
#
# Seeds a small demo newsroom, starts `newsdesk serve`, caches an article,
# then alternately unpublishes and publishes it from the command line
# ROUNDS times. After each command exits, curl polls the page until its
# status flips (410, then 200 again) and the time is recorded. Prints the
# median and the maximum. The poll itself takes a few milliseconds, so the
# figures are upper bounds.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-20}
OUT=${OUT:-bench/out}
PORT=18090
mkdir -p "$OUT"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk
WORK=$(mktemp -d /tmp/newsdesk-events.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

if [ -n "${DATABASE:-}" ]; then
  psql "$DATABASE/postgres" -qc "DROP DATABASE IF EXISTS bench_events" -c "CREATE DATABASE bench_events" >/dev/null
  db=(--database "$DATABASE/bench_events"); backend=postgres
else
  db=(); backend=sqlite
fi
NEWSDESK_LOG=warn "$BIN" demo --articles 200 --seed 7 --data-dir "$WORK/data" "${db[@]}" >/dev/null
NEWSDESK_LOG=warn "$BIN" serve --data-dir "$WORK/data" "${db[@]}" --listen "127.0.0.1:$PORT" >/dev/null &
PID=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; do sleep 0.01; done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
: > "$WORK/delays"
path=""
for i in $(seq "$ROUNDS"); do
  if [ $((i % 2)) = 1 ]; then action=unpublish; want=410; else action=publish; want=200; fi
  out=$(NEWSDESK_LOG=warn "$BIN" article "$action" 7 --data-dir "$WORK/data" "${db[@]}")
  t0=$(now_ms)
  if [ -z "$path" ]; then path=$(echo "$out" | grep -o '/[a-z]*/20[0-9][0-9]/[0-9][0-9]/[0-9][0-9]/[a-z0-9-]*' | head -n 1); fi
  until [ "$(code "$path")" = "$want" ]; do
    if [ $(( $(now_ms) - t0 )) -gt 5000 ]; then echo "bench: $path did not answer $want within 5 s" >&2; exit 1; fi
  done
  echo $(( $(now_ms) - t0 )) >> "$WORK/delays"
  # Cache the new state before the next change.
  code "$path" >/dev/null
done
if [ ! -s "$OUT/events.md" ]; then
  { echo "| backend | changes | p50 ms | max ms |"; echo "|---|---:|---:|---:|"; } > "$OUT/events.md"
fi
sort -n "$WORK/delays" | awk -v b="$backend" -v r="$ROUNDS" '{a[NR]=$1} END {
  m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
  printf "| %s | %d | %.0f | %d |\n", b, r, m, a[NR] }' | tee -a "$OUT/events.md"
