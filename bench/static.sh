#!/usr/bin/env bash
# Static export against Hugo's full build of the same size, measured in the
# same run.
#
#   bench/static.sh            # 2,000 and 10,000 articles
#   SIZES="2000" RUNS=5 bench/static.sh
#   HUGO_RELATED=1 bench/static.sh   # Hugo's pages list related stories too
#
# For each size: seeds the demo newsroom with N articles (SQLite) and
# writes a Hugo site of N articles of the same shape (bench/hugo/site.py:
# paginated home, section, tag and author pages, article pages with lead
# image, captions and credits, an RSS feed per list; with HUGO_RELATED=1
# also a related-stories list, which Newsdesk's pages have and which
# Hugo works out on every build). Then, alternating, RUNS full builds of each into a new, empty
# folder (median wall and CPU seconds, peak RSS). Every run writes to a
# folder of its own and nothing is deleted until the end: on ext4 a file
# made right after thousands were deleted costs far more (the allocator
# skips recently freed inodes), which would measure the deletion, not the
# build. Then one more export, its peak RSS and PSS sampled
# (bench/peak_mem.py: RSS counts the database file the export's
# connections map once per connection, PSS once). Last, three runs of the
# export into its full folder with nothing changed, and one after a story
# is taken down.
#
# Needs `hugo` (Debian: apt-get install hugo; 0.111.3 is the version of
# ../shared/bench/ANCHORS.md, whose figures were 3.64 s and 16.55 s).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/target/release/newsdesk
SIZES=${SIZES:-"2000 10000"}
RUNS=${RUNS:-3}
command -v hugo > /dev/null || { echo "hugo is not installed (apt-get install hugo)" >&2; exit 1; }
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -q)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export NEWSDESK_LOG=warn

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs a command; prints "wall cpu rss_mib".
timed() {
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > "$WORK/out" 2>&1 || { echo "failed: $*" >&2; cat "$WORK/out" >&2; exit 1; }
  read -r wall user sys rss < "$WORK/time"
  echo "$wall $(echo "$user + $sys" | bc) $((rss / 1024))"
}

export_to() {
  timed "$BIN" export static "$1" --data-dir "$DATA" --base-url http://127.0.0.1:8099
}

for N in $SIZES; do
  DATA=$WORK/data-$N
  "$BIN" demo --articles "$N" --data-dir "$DATA" > /dev/null
  python3 "$ROOT/bench/hugo/site.py" "$N" "$WORK/hugo-$N" ${HUGO_RELATED:+--related}
  : > "$WORK/full"; : > "$WORK/hugo"; : > "$WORK/same"
  for i in $(seq "$RUNS"); do
    export_to "$WORK/site-$N-$i" >> "$WORK/full"
    summary=$(cat "$WORK/out")
    timed hugo --quiet -s "$WORK/hugo-$N" -d "$WORK/public-$N-$i" >> "$WORK/hugo"
  done
  site=$WORK/site-$N-$RUNS
  files=$(find "$site" -name '*.html' | wc -l)
  hugo_files=$(find "$WORK/public-$N-$RUNS" -name '*.html' | wc -l)
  # One more full export, its memory sampled: peak RSS counts the
  # database file once per connection that maps it, peak PSS once.
  mem=$(python3 "$ROOT/bench/peak_mem.py" "$BIN" export static "$WORK/site-$N-mem" --data-dir "$DATA" --base-url http://127.0.0.1:8099)
  for i in 1 2 3; do export_to "$site" >> "$WORK/same"; done
  id=$("$BIN" article list --limit 1 --data-dir "$DATA" | awk 'NR==1 {print $1}')
  "$BIN" article unpublish "$id" --data-dir "$DATA" > /dev/null
  edit=$(export_to "$site"); edit_summary=$(cat "$WORK/out")
  col() { awk "{print \$$2}" "$WORK/$1" | median; }
  full_wall=$(col full 1); hugo_wall=$(col hugo 1)
  echo "== $N articles: $files HTML files (Hugo: $hugo_files)"
  echo "   $summary"
  echo "   full export:      median wall ${full_wall} s, CPU $(col full 2) s, peak RSS $(col full 3) MiB (runs: $(awk '{printf "%s ", $1}' "$WORK/full"))"
  echo "   Hugo full build:  median wall ${hugo_wall} s, CPU $(col hugo 2) s, peak RSS $(col hugo 3) MiB (runs: $(awk '{printf "%s ", $1}' "$WORK/hugo"))"
  echo "   Newsdesk / Hugo = $(echo "scale=2; $full_wall / $hugo_wall" | bc)"
  echo "   memory, one more full export: peak RSS $(echo "$mem" | awk '{print $1}') MiB, peak PSS $(echo "$mem" | awk '{print $2}') MiB"
  echo "   nothing changed:  median wall $(col same 1) s"
  echo "   one story down:   wall $(echo "$edit" | awk '{print $1}') s — $edit_summary"
  rm -rf "$WORK"/site-"$N"-* "$WORK"/public-"$N"-*
done
