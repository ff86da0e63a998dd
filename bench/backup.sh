#!/usr/bin/env bash
# Backup and restore at N articles (default 10,000), across backends.
#
#   bench/backup.sh [N]        # needs PostgreSQL at $DATABASE (default
#                              # postgres://postgres@127.0.0.1:5432/test)
#
# Seeds the demo newsroom into SQLite, backs it up, restores the archive
# into a fresh PostgreSQL schema, backs that up, restores it into a fresh
# SQLite site and backs that up too; prints each step's wall seconds and
# peak RSS, and checks that the three archives hold the same entries.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/target/release/newsdesk
N=${1:-10000}
DATABASE=${DATABASE:-postgres://postgres@127.0.0.1:5432/test}
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -q)
WORK=$(mktemp -d)
SCHEMA=bench_backup_$$
trap 'rm -rf "$WORK"; psql "$DATABASE" -qc "SET client_min_messages=warning; DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true' EXIT
export NEWSDESK_LOG=warn
PG="$DATABASE?options=-csearch_path%3D$SCHEMA"
psql "$DATABASE" -qc "SET client_min_messages=warning; DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA"

step() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  read -r wall rss < "$WORK/time"
  printf '%-28s %7.2f s  peak RSS %4d MiB  %s\n' "$name" "$wall" $((rss / 1024)) "$(head -1 "$WORK/out")"
}

"$BIN" demo --articles "$N" --data-dir "$WORK/a" > /dev/null
step "backup (SQLite)" "$BIN" export backup "$WORK/a.tar.gz" --data-dir "$WORK/a"
step "restore into PostgreSQL" "$BIN" import backup "$WORK/a.tar.gz" --data-dir "$WORK/b" --database "$PG"
step "backup (PostgreSQL)" "$BIN" export backup "$WORK/b.tar.gz" --data-dir "$WORK/b" --database "$PG"
step "restore into SQLite" "$BIN" import backup "$WORK/b.tar.gz" --data-dir "$WORK/c"
step "backup (SQLite again)" "$BIN" export backup "$WORK/c.tar.gz" --data-dir "$WORK/c"
python3 - "$WORK" <<'PY'
import json, sys, tarfile
def entries(p):
    out = []
    with tarfile.open(p) as t:
        for m in t.getmembers():
            b = t.extractfile(m).read()
            if m.name.endswith("manifest.json"):
                j = json.loads(b); j.pop("created_at"); b = json.dumps(j, sort_keys=True).encode()
            out.append((m.name, b))
    return out
w = sys.argv[1]
a, b, c = (entries(f"{w}/{x}.tar.gz") for x in "abc")
print(f"{len(a)} entries; SQLite = PostgreSQL: {a == b}; PostgreSQL = SQLite again: {b == c}")
sys.exit(0 if a == b == c else 1)
PY
