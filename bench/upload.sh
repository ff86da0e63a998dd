#!/usr/bin/env bash
# Uploads against readers: the article page's latency while editors upload
# 20 MB photos, against the same page with no uploads, in the same run.
#
#   bench/upload.sh                      # 3 rounds of 15 s each way
#   ROUNDS=5 DURATION=20 bench/upload.sh
#
# Seeds the demo newsroom (release build), starts `newsdesk serve` pinned
# to CPU 0 (its worker makes renditions there too), waits until the demo's
# own renditions are made, signs an editor in with curl, makes distinct
# photo-like JPEGs of about 19 MB (7000 × 4500, by `cargo bench --bench
# media`'s file maker), then alternates: wrk alone on an article page
# (pinned to CPU 1), and wrk while curl uploads the files one after another
# through the back office's form (each upload also queues its renditions,
# which the worker makes during the run). Prints medians of p50 and p99
# for both and their ratio, and the upload times. Needs wrk, curl, taskset.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-8}
FILES=${FILES:-6}
OUT=${OUT:-bench/out}
PORT=18090

for tool in wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk curl util-linux)" >&2; exit 1; }
done
mkdir -p "$OUT"
cargo build --release --quiet --bin newsdesk
cargo bench --bench media --no-run --quiet 2>/dev/null
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET/release/newsdesk
MAKER=$(ls -t "$TARGET"/release/deps/media-* | grep -v '\.d$' | awk 'NR==1')
WORK=$(mktemp -d /tmp/newsdesk-upload.XXXXXX)
ND_PID=""
cleanup() {
  [ -n "$ND_PID" ] && kill "$ND_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

run_wrk() {
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s --latency --timeout 10s "$1" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v+0 } if (v ~ /s$/) { sub(/s$/, "", v); return v*1000 } return v }
    $1=="50%" { p50=ms($2) }
    $1=="99%" { p99=ms($2) }
    /Requests\/sec/ { rps=$2 }
    END { print rps, p50, p99 }'
}

data=$WORK/data
NEWSDESK_LOG=warn "$BIN" demo --articles 1000 --seed 7 --data-dir "$data" >/dev/null
printf 'a long enough password\n' | "$BIN" user add --email bench@example.org --name Bench --role editor --password-stdin --data-dir "$data" >/dev/null
NEWSDESK_LOG=warn taskset -c 0 "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$data" >"$WORK/serve.log" 2>&1 &
ND_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
# The demo's renditions are jobs: wait for the worker to finish them.
for _ in $(seq 600); do
  left=$("$BIN" jobs list --state queued --data-dir "$data" | grep -c 'media.renditions' || true)
  [ "$left" = 0 ] && break
  sleep 1
done

# Sign in as the editor.
jar=$WORK/cookies
page=$(curl -fs -c "$jar" "$BASE/admin/sign-in")
token=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | awk 'NR==1')
curl -fs -b "$jar" -c "$jar" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode "csrf=$token" --data-urlencode "email=bench@example.org" \
  --data-urlencode "password=a long enough password" --data-urlencode "next=/admin" "$BASE/admin/sign-in"
csrf=$(curl -fs -b "$jar" "$BASE/admin/media" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | awk 'NR==1')
[ -n "$csrf" ] || { echo "bench: could not sign in" >&2; exit 1; }

n_files=$((FILES * ROUNDS))
for i in $(seq "$n_files"); do
  NEWSDESK_MEDIA_BENCH_MAKE="$WORK/photo-$i.jpg,7000,4500,96,$i" "$MAKER" >/dev/null
done
size_mb=$(stat -c %s "$WORK/photo-1.jpg" | awk '{printf "%.1f", $1/1048576}')

url="$BASE$(curl -fs "$BASE/" | sed -n 's|.*href="\(/[a-z-]*/[0-9]\{4\}/[0-9][0-9]/[0-9][0-9]/[^"]*\)".*|\1|p' | awk 'NR==1')"
curl -fs -o /dev/null "$url"

upload_loop() {
  local from=$1 to=$2
  for i in $(seq "$from" "$to"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$jar" -H "Origin: $BASE" \
      -F "csrf=$csrf" -F "file=@$WORK/photo-$i.jpg;type=image/jpeg" "$BASE/admin/media" >>"$WORK/uploads"
  done
}

: >"$WORK/quiet"; : >"$WORK/loaded"; : >"$WORK/uploads"
for r in $(seq "$ROUNDS"); do
  run_wrk "$url" >>"$WORK/quiet"
  from=$(( (r - 1) * FILES + 1 )); to=$(( r * FILES ))
  upload_loop "$from" "$to" &
  up_pid=$!
  run_wrk "$url" >>"$WORK/loaded"
  wait "$up_pid"
  # Let the worker finish this round's renditions before the next quiet run.
  for _ in $(seq 300); do
    left=$("$BIN" jobs list --state queued --data-dir "$data" | grep -c 'media.renditions' || true)
    [ "$left" = 0 ] && break
    sleep 1
  done
done

q50=$(awk '{print $2}' "$WORK/quiet" | median); q99=$(awk '{print $3}' "$WORK/quiet" | median)
l50=$(awk '{print $2}' "$WORK/loaded" | median); l99=$(awk '{print $3}' "$WORK/loaded" | median)
qrps=$(awk '{print $1}' "$WORK/quiet" | median); lrps=$(awk '{print $1}' "$WORK/loaded" | median)
ok=$(awk '$1==303' "$WORK/uploads" | wc -l)
up50=$(awk '$1==303 {print $2}' "$WORK/uploads" | median)
{
echo "# Article page while 20 MB photos are uploaded"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, server on CPU 0, wrk -t1 -c$CONNECTIONS on CPU 1, $ROUNDS rounds x ${DURATION}s each way, 1,000 demo articles, $n_files uploads of ${size_mb} MB (7000 x 4500 JPEG). Medians."
echo
echo "| | req/s | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|"
echo "| article page alone | $qrps | $q50 | $q99 |"
echo "| while uploading | $lrps | $l50 | $l99 |"
echo
echo "p99 while uploading / alone: $(awk -v a="$l99" -v b="$q99" 'BEGIN {printf "%.2f", a/b}')x. Uploads accepted: $ok of $n_files, median $(awk -v s="$up50" 'BEGIN {printf "%.2f", s}') s each (sent over loopback, proven, re-encoded, stored)."
} | tee "$OUT/upload.md"
