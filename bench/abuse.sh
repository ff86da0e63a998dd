#!/usr/bin/env bash
# The public server under hostile traffic.
#
#   bench/abuse.sh                                             # SQLite
#   DATABASE=postgres bench/abuse.sh                           # PostgreSQL
#   DURATION=60 CONNECTIONS=1000 ARTICLES=1000 bench/abuse.sh
#   SERVER_TOML=$'[server]\nsendfile = false' bench/abuse.sh  # a setting changed
#
# 1. Flood: CONNECTIONS connections for DURATION seconds over a mixed set of
#    URLs (home, 20 articles, sections, a feed, searches), while a probe of
#    4 connections measures a cached article page. Reports wrk's socket
#    errors (timeouts above all), non-2xx answers (503s), the probe's p50 and
#    p99, and the server's RSS before, at its peak and 10 s after. Then the
#    same flood and probe against nginx (if installed) serving the same
#    bytes as files on the same CPU: the baseline for the probe's p50 and
#    p99.
# 2. Silent: 1,100 connections that never send a byte; a normal client asks
#    for the home page every 100 ms for 15 s; reports the slowest answer.
# 3. Media: a JPEG with and without `Accept-Encoding: br` (req/s ratio,
#    five alternating rounds, medians).
# 4. Frozen database (PostgreSQL only): the database server
#    and every backend stopped with SIGSTOP for FREEZE seconds (40); reports
#    the longest request, /healthz latency while frozen, and the time from
#    SIGCONT to the first uncached page served.
#
# Needs wrk, curl, taskset, python3 and, for PostgreSQL, its server
# binaries: the bench starts a cluster of its own. The server (and its
# PostgreSQL) runs on CPU 0, the load on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-1000}
ARTICLES=${ARTICLES:-1000}
FREEZE=${FREEZE:-40}
OUT=${OUT:-bench/out}
PORT=18095
NGINX_PORT=18097
mkdir -p "$OUT"
. bench/nginx.sh
for tool in wrk curl taskset python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || true
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk
WORK=$(mktemp -d /tmp/newsdesk-abuse.XXXXXX)
chmod 755 "$WORK"
PID=""; PGDIR=""; PGBIN=""; NGINX_PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  if [ -n "$PGDIR" ]; then
    pkill -CONT -f "$PGDIR" 2>/dev/null || true
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_server() { # data dir, extra args...
  local data=$1; shift
  NEWSDESK_LOG=warn taskset -c 0 "$BIN" serve --data-dir "$data" --listen "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 400); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return; sleep 0.05; done
  echo "bench: the server did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# PostgreSQL: a cluster of its own, pinned to the server's CPU like the
# server (a database machine shares nothing with the load generator), and
# frozen in part 4.
start_pg() {
  PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  PGDIR="$WORK/pg"; mkdir -p "$PGDIR"; chown postgres "$PGDIR"
  pgport=18096
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  taskset -c 0 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -o "-p $pgport -k $PGDIR -c listen_addresses=127.0.0.1" -w start >/dev/null
}
if [ -n "${DATABASE:-}" ]; then
  start_pg
  psql "postgres://postgres@127.0.0.1:$pgport/postgres" -qc "CREATE DATABASE bench_abuse" >/dev/null
  db=(--database "postgres://postgres@127.0.0.1:$pgport/bench_abuse"); backend=postgres
else
  db=(); backend=sqlite
fi
NEWSDESK_LOG=warn "$BIN" demo --articles "$ARTICLES" --seed 7 --data-dir "$WORK/data" "${db[@]}" >/dev/null
if [ -n "${SERVER_TOML:-}" ]; then printf '%s\n' "$SERVER_TOML" > "$WORK/data/newsdesk.toml"; fi
start_server "$WORK/data" "${db[@]}"
base="http://127.0.0.1:$PORT"

# The mixed URL set.
{
  echo "/"
  curl -fsS "$base/" | grep -o 'class="card-title"><a href="/[^"]*"' | cut -d'"' -f4 | sort -u | head -n 20
  for s in world politics national business sports culture; do echo "/$s"; done
  echo "/feed.xml"
  for q in water talks trial governor museum "harbour strike" season takeover court election; do
    echo "/search?q=${q// /+}"
  done
} > "$WORK/paths"
article=$(sed -n 2p "$WORK/paths")
lua_paths=$(awk '{printf "%s\"%s\"", (NR>1?",":""), $0}' "$WORK/paths")
cat > "$WORK/mixed.lua" <<LUA
local paths = {$lua_paths}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
# Warm the cache; keep answer N as the file pN.html for nginx, the baseline,
# which then serves the same bytes for the same mix.
mkdir -p "$WORK/www"; chmod 755 "$WORK/www"
n=0
for p in $(cat "$WORK/paths"); do
  n=$((n+1))
  curl -sS -o "$WORK/www/p$n.html" "$base$p" || true
done
chmod a+r "$WORK/www"/*
cat > "$WORK/nginx.lua" <<LUA
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/p" .. ((i % $n) + 1) .. ".html")
end
LUA

# 1. Flood.
rss_before=$(rss_kb "$PID")
taskset -c 1 wrk -t1 -c4 -d"$DURATION"s --latency "$base$article" > "$WORK/probe.txt" &
probe=$!
taskset -c 1 wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s --timeout 2s -s "$WORK/mixed.lua" "$base" > "$WORK/flood.txt" || true
wait "$probe" || true
rss_peak=$(hwm_kb "$PID")
sleep 10
rss_after=$(rss_kb "$PID")
sock=$(grep -o 'Socket errors:.*' "$WORK/flood.txt" || echo "Socket errors: none")
timeouts=$(echo "$sock" | { grep -o 'timeout [0-9]*' || true; } | awk '{print $2}'); timeouts=${timeouts:-0}
non2xx=$({ grep -o 'Non-2xx or 3xx responses: [0-9]*' "$WORK/flood.txt" || true; } | awk '{print $NF}'); non2xx=${non2xx:-0}
reqs=$({ grep -o '[0-9]* requests in' "$WORK/flood.txt" || true; } | awk '{print $1}')
unit() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
p50=$(awk '$1=="50%" {print $2}' "$WORK/probe.txt" | unit)
p99=$(awk '$1=="99%" {print $2}' "$WORK/probe.txt" | unit)
refused=$({ grep -o 'refused=[0-9]*' "$WORK/serve.log" || true; } | awk -F= '{s+=$2} END {print s+0}')

# The same flood against nginx serving the same bytes on the same CPU: what
# a static file server's cached page p99 is under 1,000 connections.
nginx_p50="-"; nginx_p99="-"
if command -v nginx >/dev/null; then
  start_nginx "$WORK" "$WORK/www" "$NGINX_PORT" p2.html 4096
  nbase="http://127.0.0.1:$NGINX_PORT"
  taskset -c 1 wrk -t1 -c4 -d"$DURATION"s --latency "$nbase/p2.html" > "$WORK/nprobe.txt" &
  probe=$!
  taskset -c 1 wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s --timeout 2s -s "$WORK/nginx.lua" "$nbase" > "$WORK/nflood.txt" || true
  wait "$probe" || true
  kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
  nginx_p50=$(awk '$1=="50%" {print $2}' "$WORK/nprobe.txt" | unit)
  nginx_p99=$(awk '$1=="99%" {print $2}' "$WORK/nprobe.txt" | unit)
fi

# 2. Silent connections.
python3 - "$PORT" > "$WORK/silent.txt" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(1100):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(20)
PY
silent=$!
sleep 2
worst=0
end=$(( $(ms) + 15000 ))
while [ "$(ms)" -lt "$end" ]; do
  t=$(curl -s -o /dev/null -m 30 -w '%{time_total}' "$base/" || echo 30)
  worst=$(echo "$t $worst" | awk '{print ($1*1000 > $2) ? $1*1000 : $2}')
  sleep 0.1
done
wait "$silent" || true
opened=$(head -n 1 "$WORK/silent.txt")

# 3. Media with and without brotli asked for.
img=$(curl -fsS "$base$article" | { grep -o '/media/[^" ]*\.jpg' || true; } | head -n 1)
# Five rounds of 3 s each, alternating, so that a change in the machine's
# load during the test falls on both; medians, and the median of the
# rounds' ratios.
media_rate() { taskset -c 1 wrk -t1 -c8 -d3s "$@" "$base$img" | awk '/Requests\/sec/ {print $2}'; }
: > "$WORK/media.txt"
for _ in 1 2 3 4 5; do
  p=$(media_rate); b=$(media_rate -H 'Accept-Encoding: br')
  echo "$p $b" >> "$WORK/media.txt"
done
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
plain=$(awk '{print $1}' "$WORK/media.txt" | med)
br=$(awk '{print $2}' "$WORK/media.txt" | med)
media_ratio=$(awk '{printf "%.4f\n", $2/$1}' "$WORK/media.txt" | med | awk '{printf "%.2f", $1}')
stop_server

if [ ! -s "$OUT/abuse.md" ]; then
  {
    echo "| backend | flood | requests | socket timeouts | non-2xx | refused by the gate | cached page p50 / p99 ms | nginx, same flood, p50 / p99 ms | RSS before / peak / after MiB | silent connections | slowest normal request ms | media req/s, br / plain |"
    echo "|---|---|---:|---:|---:|---:|---|---|---|---:|---:|---|"
  } > "$OUT/abuse.md"
fi
printf '| %s | %s × %ss | %s | %s | %s | %s | %s / %s | %s / %s | %.0f / %.0f / %.0f | %s | %.0f | %s (%.0f / %.0f) |\n' \
  "$backend" "$CONNECTIONS" "$DURATION" "$reqs" "$timeouts" "$non2xx" "$refused" "$p50" "$p99" "$nginx_p50" "$nginx_p99" \
  "$(echo "$rss_before / 1024" | awk '{print $1/1024}')" "$(echo "$rss_peak" | awk '{print $1/1024}')" "$(echo "$rss_after" | awk '{print $1/1024}')" \
  "$opened" "$worst" "$media_ratio" "$br" "$plain" | tee -a "$OUT/abuse.md"

# 4. A frozen PostgreSQL.
if [ -n "${DATABASE:-}" ]; then
  url="postgres://postgres@127.0.0.1:$pgport/postgres"
  NEWSDESK_LOG=warn "$BIN" demo --articles 200 --seed 7 --data-dir "$WORK/frozen" --database "$url" >/dev/null
  start_server "$WORK/frozen" --database "$url"
  curl -fsS -o /dev/null "$base$(curl -fsS "$base/" | grep -o 'class="card-title"><a href="/[^"]*"' | head -n 1 | cut -d'"' -f4)"
  pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
  kill -STOP "$pm" $(pgrep -P "$pm")
  frozen_at=$(ms)
  longest=0; health_worst=0; i=0
  while [ $(( $(ms) - frozen_at )) -lt $(( FREEZE * 1000 )) ]; do
    i=$((i+1))
    t=$(curl -s -o /dev/null -m 60 -w '%{time_total}' "$base/world?page=$(( i % 5 + 2 ))" || echo 60)
    longest=$(echo "$t $longest" | awk '{print ($1*1000 > $2) ? $1*1000 : $2}')
    h=$(curl -s -o /dev/null -m 60 -w '%{time_total}' "$base/healthz" || echo 60)
    health_worst=$(echo "$h $health_worst" | awk '{print ($1*1000 > $2) ? $1*1000 : $2}')
  done
  kill -CONT "$pm" $(pgrep -P "$pm")
  thawed_at=$(ms)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/sports")" = 200 ]; do
    if [ $(( $(ms) - thawed_at )) -gt 60000 ]; then echo "bench: no recovery within 60 s" >&2; break; fi
    sleep 0.05
  done
  recovered=$(( $(ms) - thawed_at ))
  stop_server
  {
    echo
    echo "| frozen PostgreSQL | seconds | longest request ms | slowest /healthz ms | recovery after thaw ms |"
    echo "|---|---:|---:|---:|---:|"
    printf '| postgres | %s | %.0f | %.0f | %s |\n' "$FREEZE" "$longest" "$health_worst" "$recovered"
  } | tee -a "$OUT/abuse.md"
fi
echo
echo "Written to $OUT/abuse.md"
