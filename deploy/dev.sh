#!/usr/bin/env bash
# The one command that runs the whole system locally with demo data:
# backing services, a Party's keys and stream, demo events, then the server.
#
# Every step is idempotent, so re-running after Ctrl-C just resumes serving.
# The backing stack keeps running afterwards; stop it with deploy/stack.sh stop.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"
STACK="$REPO_ROOT/deploy/stack.sh"
PARTY="${ECITES_DEV_PARTY:-LK}"

"$STACK" start >/dev/null
eval "$("$STACK" env)"

# Keys live with the rest of the disposable local state, never in the repo.
export ECITES_KEYS_DIR="$ECITES_HOME/keys"
export ECITES_USERS_FILE="$ECITES_HOME/users.json"
export ECITES_LISTEN="${ECITES_LISTEN:-127.0.0.1:8080}"
# Prometheus-style access to /projector/metrics for the local run only.
export ECITES_METRICS_TOKEN="${ECITES_METRICS_TOKEN:-dev-metrics-token}"

# Debug profile on purpose: it shares artifacts with the test build. Build
# once up front so the progress is visible and later `cargo run`s are instant.
cargo build --bin ecites

ecites() {
    cargo run --quiet --bin ecites -- "$@"
}

if [[ ! -f "$ECITES_KEYS_DIR/$PARTY/keyring.json" ]]; then
    ecites keys generate --party "$PARTY"
fi
ecites party provision --party "$PARTY"
ecites demo seed --party "$PARTY"

cat <<MSG

eCITES ledger (dev) for Party $PARTY
  web UI:        http://$ECITES_LISTEN/query/ui/login  (Party $PARTY; try officer, signatory,
                 customs, admin or trader: a year of demo trade is already there)
  health:        http://$ECITES_LISTEN/health
  command API:   http://$ECITES_LISTEN/api/openapi.json
  query API:     http://$ECITES_LISTEN/query/api/openapi.json
  metrics:       http://$ECITES_LISTEN/projector/metrics (Authorization: Bearer $ECITES_METRICS_TOKEN)
  demo users:    trader, broker (a customs broker of another firm), officer, signatory,
                 scientist, customs, auditor, admin
                 (password: demo-password-not-for-production; log in with
                 POST /api/login {"party":"$PARTY","user_id":"officer","password":"..."})
  NATS:          $ECITES_NATS_URL  (monitor $ECITES_NATS_MONITOR_URL)
  PostgreSQL:    $ECITES_DATABASE_URL
  keys:          $ECITES_KEYS_DIR
Ctrl-C stops the server; 'deploy/stack.sh stop' stops NATS and PostgreSQL.

MSG

# exec: cargo run replaces itself with the binary, so Ctrl-C reaches the
# server directly and nothing is left behind.
exec cargo run --quiet --bin ecites -- serve
