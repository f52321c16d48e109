#!/usr/bin/env bash
# A/B of the flow inspector's cost: two release servers on fresh temporary
# SQLite databases, one with the inspector on, one with it off, measured in
# alternation (ABAB...) with wrk on `GET /v1/me` and client_credentials, so
# both see the same machine in the same minutes.
#
#   bench/inspector_ab.sh                 # 3 rounds of 10 s per case and server
#   ROUNDS=5 SECS=5 bench/inspector_ab.sh
#
# Prints one line per run and a median per case; needs wrk, curl, python3.
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

# run NAME CASE: one wrk run; prints "case server req/s p99".
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
  io.write(string.format("RESULT %.1f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
EOF
    local out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$script" "$url" | awk '/^RESULT/{print $2, $3, $4}')
    echo "$2 $1 $out" | tee -a "$WORK/results"
}

for round in $(seq "$ROUNDS"); do
    for case in me cc; do
        # Alternate which server goes first, so neither always runs second.
        if [ $((round % 2)) = 1 ]; then run on $case; run off $case; else run off $case; run on $case; fi
    done
done

echo "--- medians (req/s, p99 ms) and the 'on' server's inspector counters"
python3 - "$WORK/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for case in ("me", "cc"):
    med = {}
    for server in ("on", "off"):
        r = [(float(x[2]), float(x[3])) for x in rows if x[0] == case and x[1] == server]
        med[server] = (statistics.median(a for a, _ in r), statistics.median(b for _, b in r))
    on, off = med["on"], med["off"]
    print(f"{case}: on {on[0]:.0f} req/s p99 {on[1]:.2f} ms | off {off[0]:.0f} req/s p99 {off[1]:.2f} ms "
          f"| throughput {100 * (on[0] - off[0]) / off[0]:+.1f}%")
EOF
curl -s "http://127.0.0.1:$PORT_on/metrics" | grep '^mocklink_inspector'
