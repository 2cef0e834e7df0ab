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

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
