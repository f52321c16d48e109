#!/usr/bin/env bash
# A/B of two mocklink binaries on the same cases, back to back, for a machine
# too busy for absolute numbers (issue 8; see docs/perf-notes.md).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [CASE…]
#
# Cases: healthz, me, introspect, cc, refresh, code (redemption), flow (the
# linking flow), mixed (flows, /v1/me and client_credentials at once,
# BENCH_MIXED_CONNECTIONS workers each; one line per stream, CPU per request of
# all three), pressure (GET /v1/me while BENCH_LOGIN_WORKERS workers log in).
# Default: healthz me refresh pressure.
# Each round runs every case on A, then on B, each on a fresh SQLite database
# (the order alternates between rounds), so both see the same minute's load.
# Prints one line per measurement and, at the end, the median of each. Besides
# req/s and latency it records the server's CPU time and context switches per
# request (from /proc), which depend far less on what else runs on the machine.
#
# Environment: AB_ROUNDS (default 3), BENCH_SECONDS (5), BENCH_CONNECTIONS
# (64), BENCH_THREADS (cores), BENCH_LOGIN_WORKERS (8), LOADGEN (default
# target/release/examples/loadgen; `cargo build --release --example loadgen`).
set -euo pipefail

cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
BIN_A=$(realpath "$1"); BIN_B=$(realpath "$2"); shift 2
CASES=${*:-healthz me refresh pressure}
ROUNDS=${AB_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-$(nproc)}
LOGIN_WORKERS=${BENCH_LOGIN_WORKERS:-8}
MIXED_CONNS=${BENCH_MIXED_CONNECTIONS:-16}
LOADGEN=${LOADGEN:-${CARGO_TARGET_DIR:-target}/release/examples/loadgen}
[ -x "$LOADGEN" ] || { echo "no load driver at $LOADGEN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is required" >&2; exit 1; }
. bench/lib.sh
bench_workdir ab

BASIC="Basic $(printf 'alexa-skill:alexa-skill-secret' | base64)"
cat >"$WORK/done.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"rps":%f,"p50_ms":%f,"p99_ms":%f,"errors":%d}\n',
    (summary.requests - e.status) / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

# wrk_case URL LUA-HEAD: one JSON line on stdout.
wrk_case() {
    { printf '%s\n' "$2"; cat "$WORK/done.lua"; } >"$WORK/case.lua"
    wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" -s "$WORK/case.lua" "$1" 2>&1 | sed -n 's/^JSON //p'
}

start() { start_sqlite_server "$1"; }

# counters PID: "cpu_ticks context_switches" of the server, all threads.
counters() {
    python3 - "$1" <<'PY'
import glob, sys
pid = sys.argv[1]
f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
ticks = int(f[11]) + int(f[12])  # utime + stime, all threads
cs = 0
for st in glob.glob(f"/proc/{pid}/task/*/status"):
    try:
        for line in open(st):
            if "ctxt_switches" in line:  # voluntary and nonvoluntary
                cs += int(line.split()[1])
    except OSError:
        pass
print(ticks, cs)
PY
}

stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

run_cases() {
    local label=$1 bin=$2 case json access bearer
    start "$bin"
    access=$("$LOADGEN" user-token --url "$BASE" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
    bearer=$(printf 'wrk.method="GET"\nwrk.headers["Authorization"]="Bearer %s"' "$access")
    for case in $CASES; do
        local before after
        before=$(counters "$SERVER_PID")
        case $case in
            healthz) json=$(wrk_case "$BASE/healthz" 'wrk.method="GET"') ;;
            me) json=$(wrk_case "$BASE/v1/me" "$bearer") ;;
            introspect) json=$(wrk_case "$BASE/api/introspect" "$(printf 'wrk.method="POST"\nwrk.body="token=%s"\nwrk.headers["Content-Type"]="application/x-www-form-urlencoded"\nwrk.headers["Authorization"]="%s"' "$access" "$BASIC")") ;;
            cc) json=$(wrk_case "$BASE/api/token" "$(printf 'wrk.method="POST"\nwrk.body="grant_type=client_credentials"\nwrk.headers["Content-Type"]="application/x-www-form-urlencoded"\nwrk.headers["Authorization"]="%s"' "$BASIC")") ;;
            refresh | code | flow) json=$("$LOADGEN" "$case" --url "$BASE" --conns "$CONNS" --seconds "$SECS") ;;
            mixed) json=$("$LOADGEN" mixed --url "$BASE" --conns "$MIXED_CONNS" --seconds "$SECS") ;;
            pressure)
                "$LOADGEN" login --url "$BASE" --conns "$LOGIN_WORKERS" --seconds "$SECS" >/dev/null 2>&1 &
                local lg=$!
                json=$(wrk_case "$BASE/v1/me" "$bearer")
                wait "$lg" || true ;;
            *) echo "unknown case $case" >&2; exit 2 ;;
        esac
        after=$(counters "$SERVER_PID")
        [ -n "$json" ] || json='{"rps":0,"p50_ms":0,"p99_ms":0,"errors":-1}'
        python3 - "$label" "$case" "$json" "$before" "$after" "$SECS" "$(getconf CLK_TCK)" <<'PY' | tee -a "$WORK/results.jsonl"
import json, sys
label, case, d, before, after, secs, hz = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4].split(), sys.argv[5].split(), float(sys.argv[6]), int(sys.argv[7])
# The mixed case has one result per stream; CPU and switches are per request of all of them.
streams = [(case, d)] if "rps" in d else [(f"{case}.{k}", v) for k, v in d.items() if isinstance(v, dict) and "rps" in v]
reqs = max(1.0, sum(v["rps"] for _, v in streams) * secs)
for name, v in streams:
    print(json.dumps({"bin": label, "case": name, "rps": round(v["rps"]), "p50_ms": round(v["p50_ms"], 2),
        "p99_ms": round(v["p99_ms"], 2), "errors": v["errors"],
        "cpu_us": round((int(after[0]) - int(before[0])) / hz * 1e6 / reqs, 1),
        "cs": round((int(after[1]) - int(before[1])) / reqs, 2)}))
PY
    done
    stop
}

echo "A = $BIN_A" >&2; echo "B = $BIN_B" >&2
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then run_cases A "$BIN_A"; run_cases B "$BIN_B"
    else run_cases B "$BIN_B"; run_cases A "$BIN_A"; fi
done
python3 - "$WORK/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\nmedian of %d rounds" % max(1, len(rows) // max(1, len({(r["bin"], r["case"]) for r in rows}))))
print("| case | A req/s | B req/s | B/A | A p99 ms | B p99 ms | A CPU µs/req | B CPU µs/req | A switches/req | B switches/req |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for case in dict.fromkeys(r["case"] for r in rows):
    m = {b: [r for r in rows if r["case"] == case and r["bin"] == b] for b in "AB"}
    rps = {b: statistics.median(r["rps"] for r in m[b]) for b in "AB"}
    p99 = {b: statistics.median(r["p99_ms"] for r in m[b]) for b in "AB"}
    cpu = {b: statistics.median(r["cpu_us"] for r in m[b]) for b in "AB"}
    cs = {b: statistics.median(r["cs"] for r in m[b]) for b in "AB"}
    print("| %s | %s | %s | %.2f× | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f |" % (case, f"{rps['A']:,.0f}", f"{rps['B']:,.0f}",
          rps["B"] / rps["A"] if rps["A"] else 0, p99["A"], p99["B"], cpu["A"], cpu["B"], cs["A"], cs["B"]))
PY
