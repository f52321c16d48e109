#!/usr/bin/env bash
# A/B of the flow inspector's cost: two release servers on fresh temporary
# SQLite databases, one with the inspector on, one with it off, measured in
# alternation (ABAB...) with wrk on `GET /v1/me` and client_credentials, so
# both see the same machine in the same minutes.
#
#   bench/inspector_ab.sh                 # 3 rounds of 10 s per case and server
#   ROUNDS=5 SECS=5 bench/inspector_ab.sh
#
# Prints one line per run (req/s, p99, and the server's CPU time per request,
# which other load on a shared machine disturbs far less than req/s) and the
# medians per case; needs wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-$(nproc)}
cargo build --release --quiet --bin mocklink
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/mocklink
WORK=$(mktemp -d /tmp/mocklink-inspector-ab.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# start NAME INSPECTOR: a server; sets PORT_<NAME>.
start() {
    local port
    port=$(free_port)
    MOCKLINK_LISTEN=127.0.0.1:$port MOCKLINK_INSPECTOR=$2 MOCKLINK_LOG=warn \
        DATABASE_URL="sqlite:$WORK/$1.db" "$BIN" serve >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$1=$!"
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.1
    done
    eval "PORT_$1=$port"
}
start on true
start off false

BASIC="Basic $(printf 'alexa-skill:alexa-skill-secret' | base64)"
token() {
    curl -sf "http://127.0.0.1:$1/admin/api/tokens" -H 'Content-Type: application/json' \
        -d '{"user": "demo", "client_id": "alexa-skill", "scope": "user-read-private"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
TOKEN_on=$(token "$PORT_on")
TOKEN_off=$(token "$PORT_off")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME CASE: one wrk run; prints "case server req/s p99-ms errors cpu-us/request".
run() {
    local port token script
    port=$(eval echo "\$PORT_$1")
    token=$(eval echo "\$TOKEN_$1")
    script=$WORK/$2.lua
    case $2 in
        me) printf 'wrk.headers["Authorization"]="Bearer %s"\n' "$token" >"$script"
            url=http://127.0.0.1:$port/v1/me ;;
        cc) printf 'wrk.method="POST"\nwrk.body="grant_type=client_credentials"\nwrk.headers["Content-Type"]="application/x-www-form-urlencoded"\nwrk.headers["Authorization"]="%s"\n' "$BASIC" >"$script"
            url=http://127.0.0.1:$port/api/token ;;
    esac
    cat >>"$script" <<'EOF'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.requests))
end
EOF
    local out pid before after
    pid=$(eval echo "\$PID_$1")
    before=$(cpu_ticks "$pid")
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$script" "$url" | awk '/^RESULT/{print $2, $3, $4, $5}')
    after=$(cpu_ticks "$pid")
    # Ticks are 1/100 s (CLK_TCK); microseconds of server CPU per request.
    local per
    per=$(python3 -c "import sys; t, n = int(sys.argv[1]), int(sys.argv[2]); print(f'{t * 1e4 / max(n, 1):.1f}')" \
        "$((after - before))" "$(echo "$out" | awk '{print $4}')")
    echo "$2 $1 $(echo "$out" | awk '{print $1, $2, $3}') $per" | tee -a "$WORK/results"
}

for round in $(seq "$ROUNDS"); do
    for case in me cc; do
        # Alternate which server goes first, so neither always runs second.
        if [ $((round % 2)) = 1 ]; then run on $case; run off $case; else run off $case; run on $case; fi
    done
done

echo "--- medians (req/s, p99 ms, server CPU µs per request) and the 'on' server's inspector counters"
python3 - "$WORK/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for case in ("me", "cc"):
    med = {}
    for server in ("on", "off"):
        r = [x for x in rows if x[0] == case and x[1] == server]
        med[server] = [statistics.median(float(x[i]) for x in r) for i in (2, 3, 5)]
    on, off = med["on"], med["off"]
    print(f"{case}: on {on[0]:.0f} req/s p99 {on[1]:.2f} ms {on[2]:.1f} µs CPU/req | "
          f"off {off[0]:.0f} req/s p99 {off[1]:.2f} ms {off[2]:.1f} µs CPU/req | "
          f"throughput {100 * (on[0] - off[0]) / off[0]:+.1f}%, CPU per request {100 * (on[2] - off[2]) / off[2]:+.1f}%")
EOF
curl -s "http://127.0.0.1:$PORT_on/metrics" | grep '^mocklink_inspector'
