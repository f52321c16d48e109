#!/usr/bin/env bash
# The real-client check (issue 15): client libraries nobody here wrote, as
# published on PyPI and npm, against a mocklink started on a free loopback
# port with a temporary SQLite database:
#   spotipy               the OAuth flow, playlist_add_items, album_tracks,
#                         current_user_saved_tracks_add, current_user_recently_played,
#                         artist_albums, tracks (development mode: 403)
#   simple-oauth2         the OAuth flow and revoke
#   spotify-web-api-node  search (and /v1/me)
# Installs them into a temporary directory. Prints one PASS/FAIL line per case
# and exits non-zero on any failure; prints "skipped" (exit 0) only when
# python3 or node/npm are missing (.ci/run installs them, so CI never skips).
# The binary: $CI_MOCKLINK_BIN, else the newer of target/{release,debug}/mocklink
# (under $CARGO_TARGET_DIR if set), else a fresh `cargo build`.
# Usage: clients/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v node >/dev/null || missing+=(node)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "clients check: skipped (not installed: ${missing[*]})"
    exit 0
fi

SPOTIPY_VERSION="${SPOTIPY_VERSION:-2.26.0}"
WEB_API_NODE_VERSION="${WEB_API_NODE_VERSION:-5.0.2}"
SIMPLE_OAUTH2_VERSION="${SIMPLE_OAUTH2_VERSION:-5.1.0}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "=== clients: installing spotipy $SPOTIPY_VERSION (PyPI), spotify-web-api-node" \
    "$WEB_API_NODE_VERSION and simple-oauth2 $SIMPLE_OAUTH2_VERSION (npm) into $work"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "spotipy==$SPOTIPY_VERSION"
mkdir -p "$work/node"
npm install --prefix "$work/node" --silent --no-audit --no-fund --no-save \
    "spotify-web-api-node@$WEB_API_NODE_VERSION" "simple-oauth2@$SIMPLE_OAUTH2_VERSION" >/dev/null

bin="${CI_MOCKLINK_BIN:-}"
if [ -z "$bin" ]; then
    target="${CARGO_TARGET_DIR:-target}"
    for candidate in "$target/release/mocklink" "$target/debug/mocklink"; do
        if [ -x "$candidate" ] && { [ -z "$bin" ] || [ "$candidate" -nt "$bin" ]; }; then
            bin="$candidate"
        fi
    done
    if [ -z "$bin" ]; then
        cargo build --quiet
        bin="$target/debug/mocklink"
    fi
fi
echo "=== clients: mocklink binary $bin"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
up() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null; }
cat >"$work/mocklink.toml" <<TOML
[[clients]]
id = "compat-check"
name = "Real-client check"
secret = "compat-check-secret"
redirect_uris = ["http://127.0.0.1:8888/callback"]
TOML
DATABASE_URL="sqlite:$work/mocklink.db" MOCKLINK_LISTEN="127.0.0.1:$port" MOCKLINK_LOG=warn \
    "$bin" --config "$work/mocklink.toml" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
    up && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if ! up; then
    echo "FAIL clients: mocklink did not start"
    cat "$work/server.log"
    exit 1
fi
echo "=== clients: mocklink on $base"

status=0
"$work/venv/bin/python" clients/spotipy_check.py "$base" || status=1
NODE_PATH="$work/node/node_modules" node clients/node_check.js "$base" || status=1
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 40 lines) ---"
    tail -n 40 "$work/server.log"
    echo "clients check: FAILED"
else
    echo "clients check: all cases passed"
fi
exit "$status"
