#!/usr/bin/env bash
# The one command that runs every check: formatting, clippy, and the whole
# workspace's tests, which need the local NATS + PostgreSQL stack.
#
# ECITES_SKIP_LINT=1 skips fmt/clippy for quick local loops.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"
STACK="$REPO_ROOT/deploy/stack.sh"

# A stack the developer already had fully running is theirs: reuse it and
# leave it up. Anything less and we bring it up ourselves and tear it down.
we_started=1
if "$STACK" status >/dev/null 2>&1; then
    we_started=0
fi

cleanup() {
    local rc=$?
    if ((we_started)); then
        "$STACK" stop || true
    fi
    exit "$rc"
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap still stops the stack.
trap 'exit 130' INT
trap 'exit 143' TERM

"$STACK" start
eval "$("$STACK" env)"

# The permit document's test reads the PDF back with pdftotext and its QR code with zbarimg.
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v zbarimg >/dev/null 2>&1; then
    sudo_if() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
    sudo_if env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        poppler-utils zbar-tools >/dev/null
fi

# Keep going after a failed step so one run reports every problem; CI time is
# too precious to learn about them one at a time.
failed=()
step() {
    local name="$1"
    shift
    printf '\n==> %s: %s\n' "$name" "$*"
    if "$@"; then
        printf '==> %s: ok\n' "$name"
    else
        printf '==> %s: FAILED\n' "$name"
        failed+=("$name")
    fi
}

if [[ "${ECITES_SKIP_LINT:-0}" == 1 ]]; then
    printf '==> ECITES_SKIP_LINT=1: skipping fmt and clippy\n'
else
    step fmt cargo fmt --all -- --check
    step clippy cargo clippy --workspace --all-targets -- -D warnings
fi

if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests, so they get their own pass. It runs
    # first so the last runner summary in the log is the main suite's: CI
    # reads the closing summary, and an empty doctest run must not be it.
    step doctests cargo test --workspace --doc
    step tests cargo nextest run --workspace --no-fail-fast
else
    step tests cargo test --workspace --no-fail-fast
fi

# The web UI's journeys in headless Chromium against a fresh `ecites serve` (installs
# Debian's chromium and playwright-core when missing; screenshots in ui-tests/artifacts/).
step browser "$REPO_ROOT/deploy/browser.sh" test

# Both OpenAPI documents against a fresh `ecites serve` with a demo year: no 5xx, every answer
# as documented (installs schemathesis from PyPI into .venv/ when missing).
step schemathesis "$REPO_ROOT/deploy/schemathesis.sh"

if ((${#failed[@]})); then
    printf '\ndeploy/test.sh: failed steps: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\ndeploy/test.sh: every step succeeded\n'
