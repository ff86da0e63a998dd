#!/usr/bin/env bash
# Cached article page with `server.sendfile` on (the default) and off,
# against nginx serving the same bytes, in alternating rounds.
#
#   bench/sendfile.sh                    # 1k articles, 5 rounds of 8 s
#   ARTICLES=10000 ROUNDS=7 bench/sendfile.sh
#
# Each round starts `newsdesk serve` afresh (pinned to CPU 0, default
# configuration but for the switch), warms the page past the point where it
# gets its copy, and drives it with wrk pinned to CPU 1 (32 connections);
# then the same with the switch off; then nginx (one worker on CPU 0). It
# prints each round and the medians of req/s and CPU per request. Needs:
# nginx, wrk, curl, taskset (apt-get install nginx-light wrk curl util-linux).
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES=${ARTICLES:-1000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
PORT_ND=18082
PORT_NGINX=18083

for tool in nginx wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nginx-light wrk curl util-linux)" >&2; exit 1; }
done
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk
WORK=$(mktemp -d /tmp/newsdesk-sendfile.XXXXXX)
chmod 755 "$WORK"
ND_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$ND_PID" ] && kill "$ND_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
. bench/nginx.sh

data="$WORK/data"
NEWSDESK_LOG=warn "$BIN" demo --articles "$ARTICLES" --seed 7 --data-dir "$data" >/dev/null

# Serves with `sendfile = $1`, waiting until the demo's pictures are made.
serve() {
  printf '[server]\nsendfile = %s\n' "$1" > "$data/newsdesk.toml"
  taskset -c 0 "$BIN" serve --data-dir "$data" --listen "127.0.0.1:$PORT_ND" >>"$WORK/serve.log" 2>&1 &
  ND_PID=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT_ND/healthz" 2>/dev/null; do sleep 0.01; done
  for _ in $(seq 600); do
    "$BIN" jobs list --state queued --data-dir "$data" | grep -q '^No jobs' \
      && "$BIN" jobs list --state running --data-dir "$data" | grep -q '^No jobs' && break
    sleep 0.5
  done
}
stop() { kill "$ND_PID"; wait "$ND_PID" 2>/dev/null || true; ND_PID=""; }

serve true
article=$(curl -fsS "http://127.0.0.1:$PORT_ND/world" | grep -o 'class="card-title"><a href="/[^"]*"' | head -n 1 | cut -d'"' -f4)
mkdir -p "$WORK/www" && chmod 755 "$WORK/www"
curl -fsS "http://127.0.0.1:$PORT_ND$article" -o "$WORK/www/article.html"
stop
start_nginx "$WORK" "$WORK/www" "$PORT_NGINX" article.html
ng_worker=$(pgrep -P "$NGINX_PID" | head -n 1)
hz=$(getconf CLK_TCK)

# Prints "req/s µs-of-CPU-per-request" for one wrk run against $1, whose
# server is process $2.
measure() {
  local c0 c1 out
  c0=$(cpu_ticks "$2")
  out=$(taskset -c 1 wrk -t1 -c32 -d"$DURATION"s "$1" | awk '/Requests\/sec/ {r=$2} /requests in/ {n=$1} END {print r, n}')
  c1=$(cpu_ticks "$2")
  echo "$out $c0 $c1 $hz" | awk '{ printf "%s %.2f\n", $1, ($4-$3)*1e6/$5/$2 }'
}

echo "bench/sendfile.sh: $(date -u +%Y-%m-%dT%H:%MZ), $ARTICLES articles, $(stat -c %s "$WORK/www/article.html") bytes, $ROUNDS rounds x ${DURATION}s, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/on"; : > "$WORK/off"; : > "$WORK/nginx"
for round in $(seq "$ROUNDS"); do
  for mode in on off; do
    if [ "$mode" = on ]; then serve true; else serve false; fi
    # Past the sends after which a page gets its copy.
    for _ in $(seq 20); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT_ND$article"; done
    measure "http://127.0.0.1:$PORT_ND$article" "$ND_PID" | tee -a "$WORK/$mode" | sed "s/^/round $round, sendfile $mode: /"
    stop
  done
  measure "http://127.0.0.1:$PORT_NGINX/article.html" "$ng_worker" | tee -a "$WORK/nginx" | sed "s/^/round $round, nginx: /"
done
echo
echo "| | req/s (median) | CPU µs/request (median) | req/s vs nginx |"
echo "|---|---:|---:|---:|"
ng=$(cut -d' ' -f1 "$WORK/nginx" | median)
for mode in on off nginx; do
  r=$(cut -d' ' -f1 "$WORK/$mode" | median)
  c=$(cut -d' ' -f2 "$WORK/$mode" | median)
  label=$mode; [ "$mode" != nginx ] && label="newsdesk, sendfile $mode"
  echo "| $label | $r | $c | $(awk -v a="$r" -v b="$ng" 'BEGIN {printf "%.2f", a/b}') |"
done
