#!/usr/bin/env bash
# Search latency over a large newsroom, and what the page cache buys.
#
#   bench/search.sh                     # 100,000 articles
#   ARTICLES=10000 bench/search.sh
#   DATABASE=postgres://postgres@127.0.0.1:5432/bench bench/search.sh   # an empty PostgreSQL database
#
# Seeds the demo newsroom (release build), starts `newsdesk serve` pinned to
# CPU 0 and asks it, one request at a time from CPU 1, for:
#   - 300 searches drawn from words of the corpus (names, places, topics,
#     two-word and three-word queries, one-letter and operator-laden ones);
#   - 100 article pages not rendered yet (cache misses) and the same 100
#     again (cache hits).
# Prints p50/p99/max of each in milliseconds, the seeding time and the peak
# RSS of the server. Needs curl and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${ARTICLES:-100000}
PORT=${PORT:-18082}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk
WORK=$(mktemp -d /tmp/newsdesk-search-bench.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

pct() { sort -g | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; printf "%.2f", a[i]}'; }
summary() { local f=$1; printf '%s / %s / %s' "$(pct 50 < "$f")" "$(pct 99 < "$f")" "$(pct 100 < "$f")"; }

DB_ARGS=()
BACKEND=sqlite
if [ -n "${DATABASE:-}" ]; then DB_ARGS=(--database "$DATABASE"); BACKEND=postgres; fi
t0=$(date +%s.%N)
NEWSDESK_LOG=warn "$BIN" demo --articles "$ARTICLES" --seed 11 --data-dir "$WORK/data" "${DB_ARGS[@]}" >/dev/null
seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
db_mib=$(du -sm "$WORK/data" | cut -f1)

NEWSDESK_LOG=warn taskset -c 0 "$BIN" serve --data-dir "$WORK/data" "${DB_ARGS[@]}" --listen "127.0.0.1:$PORT" >/dev/null &
PID=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; do sleep 0.05; done
BASE="http://127.0.0.1:$PORT"

# Query words come from the site itself: headlines of the section pages.
curl -fsS "$BASE/world" "$BASE/politics" "$BASE/national" "$BASE/business" "$BASE/sports" "$BASE/culture" \
  | grep -o 'class="card-title"><a href="[^"]*">[^<]*' | sed 's/.*">//' | tr -cs 'A-Za-z' '\n' \
  | awk 'length($0) > 3' | sort -u > "$WORK/words"
mapfile -t words < "$WORK/words"
n=${#words[@]}
queries=()
for i in $(seq 0 299); do
  a=${words[$(( (i * 7919) % n ))]}; b=${words[$(( (i * 104729 + 3) % n ))]}; c=${words[$(( (i * 1299709 + 5) % n ))]}
  case $(( i % 6 )) in
    0|1) queries+=("$a") ;;
    2|3) queries+=("$a%20$b") ;;
    4) queries+=("$a%20$b%20$c") ;;
    5) case $(( i % 4 )) in 0) queries+=("a") ;; 1) queries+=("%22$a%22%20OR%20-$b*") ;; 2) queries+=("$a&section=world") ;; 3) queries+=("$a&from=2020-01-01&to=2030-12-31") ;; esac ;;
  esac
done
: > "$WORK/search"
for q in "${queries[@]}"; do
  taskset -c 1 curl -fsS -o /dev/null -w '%{time_total}\n' "$BASE/search?q=$q" | awk '{print $1*1000}' >> "$WORK/search"
done

# Cache misses, then hits, on the same 100 article pages.
mapfile -t pages < <(for p in 1 2 3 4 5; do curl -fsS "$BASE/world?page=$p" "$BASE/business?page=$p"; done \
  | grep -o 'class="card-title"><a href="/[^"]*"' | cut -d'"' -f4 | sort -u | head -n 100)
: > "$WORK/miss"; : > "$WORK/hit"
for u in "${pages[@]}"; do taskset -c 1 curl -fsS -o /dev/null -w '%{time_total}\n' "$BASE$u" | awk '{print $1*1000}' >> "$WORK/miss"; done
for u in "${pages[@]}"; do taskset -c 1 curl -fsS -o /dev/null -w '%{time_total}\n' "$BASE$u" | awk '{print $1*1000}' >> "$WORK/hit"; done
rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PID/status")

{
echo "# Search and page-cache latency, $ARTICLES articles, $BACKEND"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); server on CPU 0, one request at a time from CPU 1 (curl, end to end); ms as p50 / p99 / max."
echo
echo "| articles | seed s | data dir MiB | search (${#queries[@]} queries) | article, cache miss (${#pages[@]}) | article, cache hit (${#pages[@]}) | peak RSS MiB |"
echo "|---:|---:|---:|---|---|---|---:|"
echo "| $ARTICLES | $seed_s | $db_mib | $(summary "$WORK/search") | $(summary "$WORK/miss") | $(summary "$WORK/hit") | $rss |"
} | tee "$OUT/search-$BACKEND-$ARTICLES.md"
