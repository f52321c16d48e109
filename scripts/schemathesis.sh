#!/usr/bin/env bash
# Runs schemathesis against /openapi.json of a locally started mocklink, over
# every /v1 and provider operation, with the demo user's token (all scopes,
# through the login and consent pages). Bounded and reproducible: a fixed
# seed and a fixed number of examples per operation (SCHEMATHESIS_SEED,
# SCHEMATHESIS_EXAMPLES). Fails on any 5xx, any
# answer that violates the document (status, content type, headers, body
# schema), and any 405 without a correct `Allow`. .ci/run runs it.
# Needs python3 (venv) and the network for pip. Usage:
#   scripts/schemathesis.sh [extra schemathesis options, e.g. --max-examples 50]
# The binary: $CI_MOCKLINK_BIN, else `cargo build` and target/debug/mocklink.
set -euo pipefail

cd "$(dirname "$0")/.."
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION"

bin="${CI_MOCKLINK_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --quiet
    bin="${CARGO_TARGET_DIR:-target}/debug/mocklink"
fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"
up() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null; }
DATABASE_URL="sqlite:$work/mocklink.db" MOCKLINK_LISTEN="127.0.0.1:${port}" \
    MOCKLINK_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
    up && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
up || { cat "$work/server.log"; exit 1; }

# The demo client in Spotify's extended quota mode, so that the calls withdrawn
# from development mode are exercised too (not only their 403).
DATABASE_URL="sqlite:$work/mocklink.db" MOCKLINK_LOG=warn "$bin" client quota alexa-skill extended
sleep 1.5 # running servers re-read a client within a second
token="$(python3 scripts/user_token.py "$base")"

status=0
"$work/venv/bin/schemathesis" run "$base/openapi.json" \
    --include-path-regex '^/(v1/|api/|\.well-known/)' \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
    --seed "${SCHEMATHESIS_SEED:-15}" \
    --workers 1 \
    --no-color \
    --header "Authorization: Bearer ${token}" \
    "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log ---"
    tail -n 50 "$work/server.log"
fi
exit "$status"
