#!/usr/bin/env bash
# Article-page benchmark: Newsdesk against nginx serving the same bytes.
#
#   bench/run.sh                 # 1k and 10k articles, 3 rounds, 10 s each
#   ROUNDS=5 DURATION=15 SIZES="1000 10000 100000" bench/run.sh
#
# For each newsroom size it seeds the demo newsroom (release build), starts
# `newsdesk serve` pinned to CPU 0 with its default configuration (request
# logs on, written to a file), picks an article, writes the exact bytes
# Newsdesk serves for it into a folder that nginx (also pinned to CPU 0, one
# worker) serves as a static file, and drives each in turn with wrk pinned to
# CPU 1 (32 connections, --latency). It prints medians over the rounds of
# req/s, p50 and p99 for both and their ratio, server CPU per request, peak
# RSS, the time from process start to the first served request, and the time
# to render an article that is not cached yet. Rounds start once the
# server's worker has no job left (the demo's picture sizes). Needs: nginx, wrk, curl,
# taskset (apt-get install nginx-light wrk curl util-linux).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
OUT=${OUT:-bench/out}
PORT_ND=18080
PORT_NGINX=18081

for tool in nginx wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nginx-light wrk curl util-linux)" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "bench: needs two CPUs (server on one, load on the other)" >&2; exit 1; fi

mkdir -p "$OUT"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/newsdesk
WORK=$(mktemp -d /tmp/newsdesk-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged and must read the page
ND_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$ND_PID" ] && kill "$ND_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# Prints "req_per_sec p50_ms p99_ms requests" for one wrk run.
run_wrk() {
  local url=$1
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s --latency --timeout 10s "$url" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v+0 } if (v ~ /s$/) { sub(/s$/, "", v); return v*1000 } return v }
    /Requests\/sec/ { rps=$2 }
    $1=="50%" { p50=ms($2) }
    $1=="99%" { p99=ms($2) }
    /requests in/ { n=$1 }
    /Non-2xx/ { bad=$NF }
    END { if (bad > 0) { print "wrk: non-2xx responses: " bad > "/dev/stderr" } print rps, p50, p99, n }'
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

. bench/nginx.sh

{
echo "# Newsdesk article page vs nginx static file"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg), rounds: $ROUNDS x ${DURATION}s, wrk -t1 -c$CONNECTIONS, servers on CPU 0, wrk on CPU 1. Medians."
echo
echo "| articles | page bytes | newsdesk req/s | nginx req/s | req/s ratio | newsdesk p50 / p99 ms | nginx p50 / p99 ms | newsdesk CPU ms/req | nginx CPU ms/req | CPU ratio | peak RSS MiB | start → first page ms | uncached render ms (p50 of 20) | seed s | request lines logged |"
echo "|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$OUT/results.md"

for n in $SIZES; do
  data="$WORK/data-$n"
  t0=$(date +%s.%N)
  NEWSDESK_LOG=warn "$BIN" demo --articles "$n" --seed 7 --data-dir "$data" >/dev/null
  seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')

  # Start to first served request.
  t0=$(date +%s%N)
  # Default configuration, as an operator starts it: request logs on (info),
  # written to a file.
  taskset -c 0 "$BIN" serve --data-dir "$data" --listen "127.0.0.1:$PORT_ND" >"$WORK/serve-$n.log" &
  ND_PID=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT_ND/healthz" 2>/dev/null; do sleep 0.005; done
  first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  # The demo's pictures get their sizes from the server's worker in its
  # first seconds (image encoding on the same CPU): measure serving once
  # that is done, not the two at once.
  for _ in $(seq 600); do
    "$BIN" jobs list --state queued --data-dir "$data" | grep -q '^No jobs' \
      && "$BIN" jobs list --state running --data-dir "$data" | grep -q '^No jobs' && break
    sleep 0.5
  done

  # Uncached renders: twenty different articles, first request each.
  mapfile -t urls < <(curl -fsS "http://127.0.0.1:$PORT_ND/sports" "http://127.0.0.1:$PORT_ND/world" "http://127.0.0.1:$PORT_ND/business" \
    | grep -o 'class="card-title"><a href="/[^"]*"' | cut -d'"' -f4 | sort -u | head -n 20)
  render_ms=$(for u in "${urls[@]}"; do curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT_ND$u"; done | awk '{print $1*1000}' | median)

  article=${urls[0]}
  mkdir -p "$WORK/www" && chmod 755 "$WORK/www"
  curl -fsS "http://127.0.0.1:$PORT_ND$article" -o "$WORK/www/article.html"
  bytes=$(stat -c %s "$WORK/www/article.html")
  start_nginx "$WORK" "$WORK/www" "$PORT_NGINX" article.html
  cmp -s <(curl -fsS "http://127.0.0.1:$PORT_NGINX/article.html") <(curl -fsS "http://127.0.0.1:$PORT_ND$article") \
    || { echo "bench: nginx and newsdesk bytes differ" >&2; exit 1; }

  # Warm both up, then alternate rounds so drift in machine load hits both.
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT_ND$article" >/dev/null
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT_NGINX/article.html" >/dev/null
  : > "$WORK/nd"; : > "$WORK/ng"; : > "$WORK/cpu"; : > "$WORK/ngcpu"
  ng_worker=$(pgrep -P "$NGINX_PID" | head -n 1)
  hz=$(getconf CLK_TCK)
  for _ in $(seq "$ROUNDS"); do
    c0=$(cpu_ticks "$ND_PID")
    read -r rps p50 p99 reqs < <(run_wrk "http://127.0.0.1:$PORT_ND$article")
    c1=$(cpu_ticks "$ND_PID")
    echo "$rps $p50 $p99" >> "$WORK/nd"
    echo "$c0 $c1 $reqs $hz" | awk '{ if ($3 > 0) printf "%.4f\n", ($2-$1)*1000/$4/$3 }' >> "$WORK/cpu"
    g0=$(cpu_ticks "$ng_worker")
    read -r grps gp50 gp99 greqs < <(run_wrk "http://127.0.0.1:$PORT_NGINX/article.html")
    g1=$(cpu_ticks "$ng_worker")
    echo "$grps $gp50 $gp99" >> "$WORK/ng"
    echo "$g0 $g1 $greqs $hz" | awk '{ if ($3 > 0) printf "%.4f\n", ($2-$1)*1000/$4/$3 }' >> "$WORK/ngcpu"
  done
  rss_mib=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$ND_PID/status")
  logged=$(grep -c ' request ' "$WORK/serve-$n.log" || true)
  nd_rps=$(awk '{print $1}' "$WORK/nd" | median); ng_rps=$(awk '{print $1}' "$WORK/ng" | median)
  nd_p50=$(awk '{print $2}' "$WORK/nd" | median); nd_p99=$(awk '{print $3}' "$WORK/nd" | median)
  ng_p50=$(awk '{print $2}' "$WORK/ng" | median); ng_p99=$(awk '{print $3}' "$WORK/ng" | median)
  cpu=$(median < "$WORK/cpu"); ngcpu=$(median < "$WORK/ngcpu")
  ratio=$(echo "$nd_rps $ng_rps" | awk '{printf "%.2f", $1/$2}')
  cpu_ratio=$(echo "$cpu $ngcpu" | awk '{ if ($2 > 0) printf "%.2f", $1/$2; else print "nan" }')
  printf '| %s | %s | %.0f | %.0f | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %.1f | %.1f | %s |\n' \
    "$n" "$bytes" "$nd_rps" "$ng_rps" "$ratio" "$nd_p50" "$nd_p99" "$ng_p50" "$ng_p99" "$cpu" "$ngcpu" "$cpu_ratio" "$rss_mib" "$first_ms" "$render_ms" "$seed_s" "$logged" \
    | tee -a "$OUT/results.md"
  kill "$ND_PID" "$NGINX_PID"; wait "$ND_PID" "$NGINX_PID" 2>/dev/null || true
  ND_PID=""; NGINX_PID=""
done
echo
echo "Written to $OUT/results.md"
