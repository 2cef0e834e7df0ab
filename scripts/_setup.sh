# Shared set-up for scripts/run and scripts/test: system packages and the Python environment.
# Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_ensure() {
  # Install the Debian packages whose commands are missing (postgresql, redis-server, chromium).
  local missing=() pkg cmd
  for pair in "$@"; do
    pkg="${pair%%:*}"; cmd="${pair#*:}"
    [ -e "$cmd" ] || command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "Installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

venv_ensure() {
  # Create the virtual environment and install the project when pyproject.toml changed.
  local stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  [ -x "$VENV/bin/python" ] || { log "Creating $VENV"; "$PY" -m venv "$VENV"; }
  if [ ! -f "$stamp" ]; then
    log "Installing Python dependencies"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e "$ROOT[dev]"
    rm -f "$VENV"/.installed-*; touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

messages_compile() {
  # Compile the translation catalogues (locale/*/LC_MESSAGES/django.po) with Debian's gettext.
  apt_ensure "gettext:msgfmt"
  local po
  for po in "$ROOT"/locale/*/LC_MESSAGES/django.po; do
    [ -f "$po" ] || continue
    [ "${po%.po}.mo" -nt "$po" ] || msgfmt --check -o "${po%.po}.mo" "$po"
  done
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

services_start() {
  # Start a throwaway PostgreSQL (as the postgres user: it refuses to run as root) and Redis on
  # free loopback ports; export DATABASE_URL and REDIS_URL; stop and remove both on exit.
  # SERVICES_DIR (PostgreSQL's data in $SERVICES_DIR/pg) and PGBIN are exported too: the outbox's
  # fault test restarts this PostgreSQL with pg_ctl (tests/trial/test_outbox_faults.py).
  PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
  [ -x "$PGBIN/initdb" ] || PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  SERVICES_DIR="$(mktemp -d /tmp/dexaml-services.XXXXXX)"
  export SERVICES_DIR PGBIN
  local pgdata="$SERVICES_DIR/pg"
  trap services_stop EXIT
  log "Starting a throwaway PostgreSQL"
  local pgport; pgport="$(free_port)"
  mkdir -p "$pgdata"; chmod 700 "$SERVICES_DIR"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$SERVICES_DIR"
  as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$pgdata" -l "$SERVICES_DIR/pg.log" -w -o "-h 127.0.0.1 -p $pgport \
    -k $SERVICES_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=300" start >/dev/null
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$pgport" -U postgres dexaml
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/dexaml"

  log "Starting a throwaway Redis"
  local redisport; redisport="$(free_port)"
  redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$redisport/0"
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  # A service already stopped (bench/run stops the throwaway PostgreSQL for a kept one) is
  # no failure: under `set -e` it would turn the caller's exit status into 1.
  [ -f "$SERVICES_DIR/redis.pid" ] && { kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; }
  [ -d "$SERVICES_DIR/pg" ] && { as_pg "$PGBIN/pg_ctl" -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true; }
  rm -rf "$SERVICES_DIR"
  return 0
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
