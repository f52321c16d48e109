#!/usr/bin/env bash
# Where the CPU goes during one stateful case (issue 16): what bench/run.sh's
# rates do not show.
#
#   bench/profile.sh MODE [CONNECTIONS]     # MODE: flow | code | refresh | cc | me
#
# Starts the release server on a fresh SQLite database (PROFILE_POSTGRES: an
# admin URL of a PostgreSQL server, on which a fresh database is made), runs the load driver's
# MODE for PROFILE_SECONDS (default 6) with CONNECTIONS workers (default 64)
# and, over a window in the middle of the measured phase (for `code`, the
# redemptions, not the minting before them), samples from /proc: the server's
# CPU (cores, and µs per operation), each server thread's share of a core,
# the load driver's CPU, the rest of the machine (PostgreSQL's backends), and
# the machine's idle share. No thread near 100%
# and the machine partly idle means the case waits on hand-offs, not on CPU.
#
# Needs the release builds: `cargo build --release --bin mocklink --example loadgen`
# (PROFILE_BIN: another mocklink binary, e.g. an older build to compare with).
set -euo pipefail

cd "$(dirname "$0")/.."
MODE=${1:?usage: bench/profile.sh MODE [CONNECTIONS]}
CONNS=${2:-64}
SECS=${PROFILE_SECONDS:-6}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${PROFILE_BIN:-$TARGET/release/mocklink}
LOADGEN=$TARGET/release/examples/loadgen
[ -x "$BIN" ] && [ -x "$LOADGEN" ] || { echo "build first: cargo build --release --bin mocklink --example loadgen" >&2; exit 1; }

. bench/lib.sh
bench_workdir profile
if [ -n "${PROFILE_POSTGRES:-}" ]; then
    start_postgres_server "$BIN" "$PROFILE_POSTGRES"
else
    start_sqlite_server "$BIN"
fi

# `code` mints for SECS, then redeems for SECS: sample inside the second phase.
first=0; [ "$MODE" = code ] && first=$SECS
"$LOADGEN" "$MODE" --url "$BASE" --conns "$CONNS" --seconds "$SECS" >"$WORK/out.json" &
LG_PID=$!
python3 - "$SERVER_PID" "$LG_PID" "$first" "$SECS" "$WORK/out.json" "$MODE" "$CONNS" <<'PY'
import glob, json, os, sys, time

server, driver, first, secs, out, mode, conns = sys.argv[1:8]
first, secs = float(first), float(secs)
tick = os.sysconf("SC_CLK_TCK")

def cpu(pid):  # utime + stime of a process or a thread, in seconds
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

def threads(pid):
    t = {}
    for d in glob.glob(f"/proc/{pid}/task/*"):
        try:
            t[os.path.basename(d)] = (open(f"{d}/comm").read().strip(), cpu(f"{pid}/task/{os.path.basename(d)}"))
        except OSError:
            pass
    return t

def machine():  # (busy, idle + iowait) jiffies of all CPUs
    v = list(map(int, open("/proc/stat").readline().split()[1:]))
    idle = v[3] + v[4]
    return sum(v) - idle, idle

time.sleep(first + secs * 0.25)
window = secs * 0.5
s0, d0, t0, m0, w0 = cpu(server), cpu(driver), threads(server), machine(), time.time()
time.sleep(window)
s1, d1, t1, m1, w1 = cpu(server), cpu(driver), threads(server), machine(), time.time()
while os.path.exists(f"/proc/{driver}") and open(f"/proc/{driver}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
    time.sleep(0.05)
r = json.load(open(out))
wall = w1 - w0
rate = r["rps"]
busy, idle = m1[0] - m0[0], m1[1] - m0[1]
print(f"{mode} at {conns} connections: {rate:,.0f}/s, p50 {r['p50_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, p99.9 {r['p999_ms']:.2f} ms, errors {r['errors']}")
print(f"  server: {(s1 - s0) / wall:.2f} cores, {(s1 - s0) / wall / rate * 1e6:,.0f} µs of CPU per operation")
print(f"  load driver: {(d1 - d0) / wall:.2f} cores, {(d1 - d0) / wall / rate * 1e6:,.0f} µs per operation")
others = busy / tick / wall - (s1 - s0) / wall - (d1 - d0) / wall
print(f"  other processes (PostgreSQL…): {others:.2f} cores, {others / rate * 1e6:,.0f} µs per operation")
print(f"  machine idle (incl. iowait): {100 * idle / (busy + idle):.1f}% of {os.cpu_count()} cores")
print("  server threads (share of one core):")
rows = sorted(((t1[k][1] - t0[k][1]) / wall, t1[k][0]) for k in t1 if k in t0)
for share, name in reversed(rows):
    if share >= 0.01:
        print(f"    {name:<18} {100 * share:5.1f}%")
PY
wait "$LG_PID"
