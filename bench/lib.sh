# Sourced by bench/ab.sh and bench/profile.sh: a work directory removed at exit
# (with the server started in it stopped first, and its PostgreSQL database
# dropped), and a server on a fresh SQLite file or PostgreSQL database on a
# free loopback port.

# bench_workdir NAME: sets WORK and SERVER_PID, and cleans up on exit.
bench_workdir() {
    WORK=$(mktemp -d "/tmp/mocklink-$1.XXXXXX")
    SERVER_PID=""
    PG_DROP=""
    trap bench_cleanup EXIT
}

bench_cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$PG_DROP" ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DROP WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}

# start_sqlite_server BIN: `BIN serve` on a fresh $WORK/db; sets BASE and
# SERVER_PID once /healthz answers (the server's log, and exit 1, if never).
start_sqlite_server() {
    rm -f "$WORK"/db*
    start_server "$1" "sqlite:$WORK/db"
}

# start_postgres_server BIN ADMIN_URL: the same on a fresh database created
# through ADMIN_URL (dropped at exit).
start_postgres_server() {
    PG_ADMIN=$2
    PG_DROP=mocklink_bench_$$
    psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DROP" >/dev/null
    start_server "$1" "$(python3 -c 'import sys,urllib.parse as u;p=u.urlparse(sys.argv[1]);print(u.urlunparse(p._replace(path="/"+sys.argv[2])))' "$PG_ADMIN" "$PG_DROP")"
}

start_server() {
    local port
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    BASE=http://127.0.0.1:$port
    DATABASE_URL="$2" MOCKLINK_LISTEN="127.0.0.1:$port" "$1" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 400); do
        curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    cat "$WORK/server.log" >&2
    exit 1
}
