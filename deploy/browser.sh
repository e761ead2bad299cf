#!/usr/bin/env bash
# What the browser tests (ui-tests/) need, installed only when missing:
# Debian's chromium + chromium-driver (apt) and playwright-core (npm, into
# ui-tests/node_modules). Playwright drives the system Chromium; it never
# downloads a browser of its own.
#
# Usage: deploy/browser.sh install   (idempotent; prints the Chromium path)
#        deploy/browser.sh test      (install, then run the journeys of ui-tests/ against a
#                                     fresh `ecites serve` on the running stack)
#
# `test` needs the stack's environment (eval "$(deploy/stack.sh env)"). It gives the server
# its own keys, users, documents, NATS stream/subject prefixes and PostgreSQL database, so it
# never touches deploy/dev.sh's data, seeds the demo Party (users, verified organisation),
# serves on a free loopback port, runs `node ui-tests/journey.mjs <base URL>`, then
# `node ui-tests/offline.mjs <base URL>` and `node ui-tests/admin.mjs <base URL>`, and stops
# the server. The server's live Species+ source is a stand-in admin.mjs serves on another
# free port from the recorded answers in
# fixtures/speciesplus (SPECIESPLUS_FIXTURES). Screenshots go to ui-tests/artifacts/
# (git-ignored); the server log is kept there.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
UI_TESTS="$REPO_ROOT/ui-tests"

log() { printf '[browser] %s\n' "$*" >&2; }
die() { printf '[browser] error: %s\n' "$*" >&2; exit 1; }

as_admin() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

chromium_path() {
    local c
    for c in "${ECITES_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
        if [[ -n "$c" && -x "$c" ]]; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

install() {
    if ! chromium_path >/dev/null || ! command -v chromedriver >/dev/null 2>&1; then
        log "installing chromium and chromium-driver with apt"
        as_admin env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_admin env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        log "installing nodejs and npm with apt"
        as_admin env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_admin env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    command -v node >/dev/null 2>&1 || die "node is required (apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install npm)"
    if [[ ! -f "$UI_TESTS/node_modules/playwright-core/package.json" \
        || ! -f "$UI_TESTS/node_modules/axe-core/axe.min.js" ]]; then
        log "installing playwright-core and axe-core with npm"
        (cd "$UI_TESTS" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
    fi
    chromium_path || die "chromium is not installed"
}

run_tests() {
    local chromium
    chromium="$(install)"
    : "${ECITES_NATS_URL:?run: eval \"\$(deploy/stack.sh env)\"}"
    : "${ECITES_DATABASE_URL:?run: eval \"\$(deploy/stack.sh env)\"}"
    (cd "$REPO_ROOT" && cargo build --quiet --bin ecites)
    # Where cargo put it: a worktree with its own CARGO_TARGET_DIR runs its own build.
    local bin="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/ecites"
    local artifacts="$UI_TESTS/artifacts"
    mkdir -p "$artifacts"
    # Globals: the EXIT trap runs after this function has returned.
    work="" tag="" db="" port="" pid=""
    work="$(mktemp -d)"
    tag="ui$(date +%s)$$"
    db="ecites_$tag"
    admin_url="$ECITES_DATABASE_URL"
    local db_url="${admin_url%/*}/$db"
    cleanup_tests() {
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
        psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    trap cleanup_tests EXIT
    psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    port="$(free_port)"
    # The admin journey's species import goes "live" to a stand-in it serves on this port.
    local spp_port
    spp_port="$(free_port)"
    export ECITES_SPECIESPLUS_URL="http://127.0.0.1:$spp_port/api/v1" \
        ECITES_SPECIESPLUS_TOKEN="ui-test-token-$tag" ECITES_SPECIESPLUS_PORT="$spp_port" \
        SPECIESPLUS_FIXTURES="${SPECIESPLUS_FIXTURES:-$REPO_ROOT/fixtures/speciesplus/bodies}"
    export ECITES_KEYS_DIR="$work/keys" ECITES_USERS_FILE="$work/users.json" \
        ECITES_DOCUMENTS_DIR="$work/documents" ECITES_DATABASE_URL="$db_url" \
        ECITES_STREAM_PREFIX="${tag^^}" ECITES_SUBJECT_PREFIX="$tag" \
        ECITES_LISTEN="127.0.0.1:$port" ECITES_PROJECTOR_LISTEN="127.0.0.1:0"
    "$bin" keys generate --party LK >/dev/null
    "$bin" demo seed --party LK --without-trade >/dev/null
    "$bin" serve >"$artifacts/server.log" 2>&1 &
    pid=$!
    local base="http://127.0.0.1:$port" tick
    for tick in $(seq 1 300); do
        if curl -fsS "$base/health" >/dev/null 2>&1; then break; fi
        kill -0 "$pid" 2>/dev/null || { cat "$artifacts/server.log" >&2; die "ecites serve exited"; }
        sleep 0.1
    done
    curl -fsS "$base/health" >/dev/null || die "ecites serve did not answer on $base"
    log "ecites serve on $base (log: $artifacts/server.log)"
    ECITES_CHROMIUM="$chromium" node "$UI_TESTS/journey.mjs" "$base"
    # The phone page with the network cut (issue #14): its own permits, a proxy it can cut.
    # Before the admin journey, whose import replaces the demo species its permits name.
    ECITES_CHROMIUM="$chromium" node "$UI_TESTS/offline.mjs" "$base"
    # Last: the import replaces the demo species list with the recorded one.
    ECITES_CHROMIUM="$chromium" node "$UI_TESTS/admin.mjs" "$base"
}

case "${1:-install}" in
    install) install ;;
    test) run_tests ;;
    path) chromium_path ;;
    *) die "usage: $0 install|test|path" ;;
esac
