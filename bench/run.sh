#!/usr/bin/env bash
# The benchmark: conform against Hurl and a bare keep-alive loop (the floor)
# on the same workload, same machine, same sitting. Writes the raw figures to
# bench/results/<date>.json and regenerates BENCHMARKS.md from them.
#
#   bench/run.sh                 the full benchmark (about ten minutes on 2 cores)
#   RUNS=3 bench/run.sh          fewer runs per command at N=1000 (default 5)
#   PORT=18080 bench/run.sh      the loopback port nginx listens on
#   WORK=/tmp/x bench/run.sh     where the workloads and reports go (default: a temporary folder,
#                                removed after a successful run unless KEEP_WORK=1)
#
# Needs: a Rust toolchain, python3, nginx. Hurl (8.0.1, `cargo install hurl
# --version 8.0.1 --locked`) is measured when it is on PATH, and said missing
# when not. Not part of `cargo test` or CI: it needs nginx and a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

RUNS=${RUNS:-5}          # timed runs per command at N=1000 (after one warm-up)
SCALE_RUNS=${SCALE_RUNS:-3}   # timed runs per command at N=2000, 5000, 10000
PORT=${PORT:-18080}
OWN_WORK=""
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d -t conform-bench-XXXXXX)
  OWN_WORK=1
fi
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RESULTS="$REPO/bench/results/$STAMP.json"
RAW="$WORK/raw.jsonl"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || { echo "bench: nginx is needed (apt-get install -y nginx)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 2; }
HURL=""
command -v hurl >/dev/null && HURL=hurl   # by name: the commands written down name no folder of this machine
if [ -z "$HURL" ]; then
  echo "bench: hurl is not installed: it is left out (cargo install hurl --version 8.0.1 --locked)" >&2
fi
if python3 - "$PORT" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
then
  echo "bench: port $PORT is taken; set PORT" >&2
  exit 2
fi

echo "== build (release): conform and the floor"
cargo build --release --locked --quiet
cargo build --release --locked --quiet --manifest-path bench/floor/Cargo.toml
CONFORM="$REPO/target/release/conform"
FLOOR="$REPO/bench/floor/target/release/conform-bench-floor"

mkdir -p "$WORK" "$REPO/bench/results"
chmod a+rx "$WORK"   # nginx's workers run as an unprivileged user; mktemp makes the folder private
: >"$RAW"
echo "== workloads and logs in $WORK"

NGINX_ROOT=""
stop_nginx() {
  if [ -n "$NGINX_ROOT" ] && [ -f "$NGINX_ROOT/nginx.pid" ]; then
    kill "$(cat "$NGINX_ROOT/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$NGINX_ROOT/nginx.pid" ] || break; sleep 0.1; done
  fi
  NGINX_ROOT=""
}
cleanup() {
  local rc=$?
  stop_nginx
  if [ "$rc" -eq 0 ] && [ -n "$OWN_WORK" ] && [ -z "${KEEP_WORK:-}" ]; then
    rm -rf "$WORK"
  elif [ -d "$WORK" ]; then
    echo "bench: the workloads, reports and logs are in $WORK" >&2
  fi
}
trap cleanup EXIT

# workload N: generate it under $WORK/nN and serve it.
workload() {
  local n=$1 root="$WORK/n$1"
  stop_nginx
  python3 bench/workload.py "$n" "$root" "$PORT" >/dev/null
  "$NGINX" -p "$root" -e "$root/nginx-error.log" -c "$root/nginx.conf"
  NGINX_ROOT=$root
  for _ in $(seq 50); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then
      return
    fi
    sleep 0.1
  done
  echo "bench: nginx did not start; see $root/nginx-error.log" >&2
  exit 2
}

measure() { python3 bench/measure.py --out "$RAW" "$@"; }
conform_run() { # jobs root out
  echo "$CONFORM run --root $2/project --country xx --jobs $1 --out $3"
}

echo "== N=1000: conform --jobs 1 and --jobs 8, hurl sequential and --jobs 8, the floor"
workload 1000
R="$WORK/n1000"
set -- --bench conform-j1 "$(conform_run 1 "$R" "$R/out-j1")" \
       --bench conform-j8 "$(conform_run 8 "$R" "$R/out-j8")"
if [ -n "$HURL" ]; then
  set -- "$@" --bench hurl-seq "$HURL --test --jobs 1 $R/peer.hurl" \
              --bench hurl-j8 "$HURL --test --jobs 8 $R/hurlsplit/*.hurl"
fi
set -- "$@" --bench floor "$FLOOR http://127.0.0.1:$PORT 1000"
measure --group speed --n 1000 --runs "$RUNS" --warmup 1 "$@"

echo "== scale: N=2000, 5000, 10000 (JSON, JUnit, HTML and Markdown reports written)"
# At N=10,000 also a signed run: national teams sign their reports.
"$CONFORM" keygen --out "$WORK/sign.pem" --force >/dev/null
for n in 2000 5000 10000; do
  workload "$n"
  R="$WORK/n$n"
  set -- --bench conform-j1 "$(conform_run 1 "$R" "$R/out-j1")" \
         --bench conform-j8 "$(conform_run 8 "$R" "$R/out-j8")"
  [ "$n" = 10000 ] && set -- "$@" --bench conform-j1-signed "$(conform_run 1 "$R" "$R/out-signed") --sign $WORK/sign.pem"
  measure --group scale --n "$n" --runs "$SCALE_RUNS" --warmup 1 "$@"
done
# Two shards of the largest plan, for merging below (not timed).
for k in 1 2; do
  "$CONFORM" run --root "$R/project" --country xx --jobs 8 --shard "$k/2" --out "$R/shard-$k" >/dev/null 2>&1
done
stop_nginx

echo "== reading the N=10000 reports back: report, compare, merge, verify"
measure --group reread --n 10000 --runs "$SCALE_RUNS" --warmup 1 \
  --bench report "$CONFORM report $R/out-j1/xx.json --out $R/rendered" \
  --bench compare "$CONFORM compare $R/out-j1 --out $R/compared" \
  --bench merge "$CONFORM merge $R/shard-1 $R/shard-2 --out $R/merged" \
  --bench verify "$CONFORM verify $R/out-signed/xx.json --key $WORK/sign.pem.pub"
# The reports of the largest run hold every case.
python3 - "$WORK/n10000/out-j1" <<'EOF'
import json, sys
d = sys.argv[1]
r = json.load(open(f"{d}/xx.json"))
cases = sum(len(s["cases"]) for s in r["suites"])
assert cases == 10000, f"{d}/xx.json holds {cases} cases, not 10000"
junit = open(f"{d}/xx.junit.xml").read()
assert junit.count("<testcase ") == 10000, "the JUnit report lacks testcases"
merged = json.load(open(f"{d}/../merged/xx.json"))
assert sum(len(s["cases"]) for s in merged["suites"]) == 10000, "the merged report lacks cases"
EOF

echo "== conform check on the shipped suites, catalogues, profiles and schemas"
measure --group check --n 0 --runs "$RUNS" --warmup 1 \
  --bench check "$CONFORM check --root $REPO"

python3 bench/report.py collect "$RAW" "$RESULTS" --repo "$REPO" --work "$WORK" \
  --conform "$CONFORM" --floor "$FLOOR" --hurl "${HURL:-}" --nginx "$NGINX" --runs "$RUNS" --scale-runs "$SCALE_RUNS" --load "$LOAD"
python3 bench/report.py markdown "$RESULTS" >BENCHMARKS.md
echo "== wrote ${RESULTS#"$REPO/"} and BENCHMARKS.md"
