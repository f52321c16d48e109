#!/usr/bin/env bash
# Runs schemathesis against /openapi.json of a locally started mocklink: every
# documented operation gets generated requests, and any 5xx fails the run.
# Not run by CI (it needs Python and the network for pip). Usage:
#   scripts/schemathesis.sh [extra schemathesis options, e.g. --max-examples 50]
set -euo pipefail

cd "$(dirname "$0")/.."
work="$(mktemp -d)"
port="${MOCKLINK_SCHEMATHESIS_PORT:-18080}"
base="http://127.0.0.1:${port}"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "schemathesis>=4,<5"

cargo build --quiet
DATABASE_URL="sqlite:$work/mocklink.db" MOCKLINK_LISTEN="127.0.0.1:${port}" \
    MOCKLINK_LOG=warn target/debug/mocklink serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { cat "$work/server.log"; exit 1; }

# The demo user's token with every scope, through the login and consent pages,
# so the /v1/me... operations get past authentication.
token="$(python3 scripts/user_token.py "$base")"

status=0
"$work/venv/bin/schemathesis" run "$base/openapi.json" \
    --checks not_a_server_error \
    --header "Authorization: Bearer ${token}" \
    "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log ---"
    tail -n 50 "$work/server.log"
fi
exit "$status"
