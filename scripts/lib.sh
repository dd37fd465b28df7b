# Shared set-up steps for scripts/serve and scripts/test: each installs what is missing and is
# quick when everything is already there. Sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# Two cores here and in CI: more parallel rustc jobs only thrash memory.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

WASM_PACK_VERSION="0.15.1"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

wcfg() { python3 "$ROOT/scripts/wasm_config.py" "$1"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  # $@: Debian packages. One `apt-get update` per run, only when something is missing.
  if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_rust_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    { log "adding rust target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
}

ensure_wasm_pack() {
  if ! wasm-pack --version 2>/dev/null | grep -q "$WASM_PACK_VERSION"; then
    log "installing wasm-pack $WASM_PACK_VERSION (cargo install, a few minutes)"
    cargo install wasm-pack --locked --version "$WASM_PACK_VERSION"
  fi
}

# wasm-bindgen's CLI must be exactly the version in Cargo.lock; wasm-pack's own download of it
# needs GitHub, so it is built from crates.io (without --locked: its locked webpki-roots was yanked).
ensure_wasm_bindgen() {
  local v
  v=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock")
  [ -n "$v" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; return 1; }
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    log "installing wasm-bindgen-cli $v (cargo install, a few minutes)"
    cargo install wasm-bindgen-cli --version "$v" --force
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian chromium + chromium-driver"
    apt_install chromium chromium-driver
  fi
}

ensure_wasm_opt() {
  if [ "$(wcfg build.wasm-opt)" = true ] && ! command -v wasm-opt >/dev/null; then
    log "installing binaryen (wasm-opt)"
    apt_install binaryen
  fi
}

ensure_model() { "$ROOT/scripts/fetch-model"; }

# Starts scripts/static-server.py in the background on $1 with the remaining args; stops it when
# the calling script exits. Waits until it answers.
start_static_server() {
  local port=$1; shift
  python3 "$ROOT/scripts/static-server.py" --port "$port" --quiet "$@" &
  _SERVER_PIDS="${_SERVER_PIDS:-} $!"
  trap 'kill ${_SERVER_PIDS:-} 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null ||
       python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "static server on port $port did not start" >&2
  return 1
}
