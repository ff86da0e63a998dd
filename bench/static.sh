#!/usr/bin/env bash
# Static export against Hugo's full build of the same size.
#
#   bench/static.sh            # 2,000 and 10,000 articles
#   SIZES="2000" bench/static.sh
#
# For each size: seeds the demo newsroom with N articles (SQLite), then
# `newsdesk export static` into an empty folder three times (median wall
# and CPU seconds, peak RSS), three more times into the full folder with
# nothing changed, and once after one story is taken down. Hugo's figures
# (median of 9 full builds on this machine kind, ../shared/bench/ANCHORS.md):
# 3.64 s for 2,000 articles, 16.55 s for 10,000.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/target/release/newsdesk
SIZES=${SIZES:-"2000 10000"}
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -q)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export NEWSDESK_LOG=warn

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs an export; prints "wall cpu rss_mib" and keeps its summary line.
timed() {
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$BIN" export static "$1" \
    --data-dir "$DATA" --base-url http://127.0.0.1:8099 > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  read -r wall user sys rss < "$WORK/time"
  echo "$wall $(echo "$user + $sys" | bc) $((rss / 1024))"
}

for N in $SIZES; do
  case $N in 2000) HUGO=3.64 ;; 10000) HUGO=16.55 ;; *) HUGO= ;; esac
  DATA=$WORK/data-$N
  "$BIN" demo --articles "$N" --data-dir "$DATA" > /dev/null
  : > "$WORK/full"; : > "$WORK/same"
  for i in 1 2 3; do
    rm -rf "$WORK/site"
    timed "$WORK/site" >> "$WORK/full"
  done
  files=$(find "$WORK/site" -name '*.html' | wc -l)
  summary=$(cat "$WORK/out")
  for i in 1 2 3; do timed "$WORK/site" >> "$WORK/same"; done
  id=$("$BIN" article list --limit 1 --data-dir "$DATA" | awk 'NR==1 {print $1}')
  "$BIN" article unpublish "$id" --data-dir "$DATA" > /dev/null
  edit=$(timed "$WORK/site"); edit_summary=$(cat "$WORK/out")
  full_wall=$(awk '{print $1}' "$WORK/full" | median)
  full_cpu=$(awk '{print $2}' "$WORK/full" | median)
  full_rss=$(awk '{print $3}' "$WORK/full" | median)
  same_wall=$(awk '{print $1}' "$WORK/same" | median)
  echo "== $N articles: $files HTML files"
  echo "   $summary"
  echo "   full export:      median wall ${full_wall} s, CPU ${full_cpu} s, peak RSS ${full_rss} MiB (runs: $(awk '{printf "%s ", $1}' "$WORK/full"))"
  echo "   nothing changed:  median wall ${same_wall} s"
  echo "   one story down:   wall $(echo "$edit" | awk '{print $1}') s — $edit_summary"
  if [ -n "$HUGO" ]; then
    echo "   Hugo full build:  ${HUGO} s  → Newsdesk / Hugo = $(echo "scale=2; $full_wall / $HUGO" | bc)"
  fi
done
