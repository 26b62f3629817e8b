#!/usr/bin/env bash
# Installs what building and testing supplycast needs, skipping what is already there:
# the wasm32 target, trunk, wasm-bindgen-cli (the version in Cargo.lock), wasm-pack, Debian's
# chromium + chromedriver, a software Vulkan driver, npm's binaryen (wasm-opt), and the e2e test's node packages. Safe to run repeatedly.
#   scripts/setup.sh          everything
#   scripts/setup.sh app      only what building and serving the app needs
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
step() { printf '\n== %s\n' "$*"; }
t0=$SECONDS

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Debian's packages (a browser and its driver for the browser tests, a software Vulkan
# driver so that the native wgpu test runs without a GPU, node for npm) download and
# install in the background while the tools below compile: one apt-get for all of them
# (two would fight over dpkg's lock), waited for before anything uses them.
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
apt_pkgs=()
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
if [[ "$what" == all ]]; then
  { command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || apt_pkgs+=(chromium chromium-driver)
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || apt_pkgs+=(mesa-vulkan-drivers libvulkan1)
fi
apt_pid=""
apt_log=$(mktemp)
if ((${#apt_pkgs[@]})); then
  step "apt-get install ${apt_pkgs[*]} (in the background)"
  ( $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}" ) >"$apt_log" 2>&1 &
  apt_pid=$!
fi
wait_apt() {
  if [[ -n "$apt_pid" ]]; then
    if ! wait "$apt_pid"; then
      cat "$apt_log" >&2
      echo "setup: apt-get install ${apt_pkgs[*]} failed" >&2
      exit 1
    fi
    apt_pid=""
    printf '\n== apt-get install %s: done\n' "${apt_pkgs[*]}"
  fi
}

# The tools are compiled without LTO and with little optimisation (`light_install LEVEL
# ...`): trunk and wasm-pack only drive cargo, wasm-bindgen, wasm-opt and the browser, so
# their own speed does not matter (opt-level 0); wasm-bindgen rewrites the wasm bundles
# (opt-level 1). Trunk's own release profile (fat LTO, one codegen unit) took 6.4 min on
# this 2-core machine against 4.5 min at opt-level 1 without LTO (2026-11-26). Cargo's
# configuration (these variables) overrides a package's [profile.release].
light_install() {
  local level="$1"; shift
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL="$level" CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false cargo install "$@"
}

TRUNK_VERSION=0.21.14   # trunk 0.22 needs a newer rustc than this project's 1.95
if [[ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]]; then
  step "cargo install trunk $TRUNK_VERSION (a few minutes cold)"
  light_install 0 --locked trunk --version "$TRUNK_VERSION"
fi

WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WBG_VERSION" ]]; then
  step "cargo install wasm-bindgen-cli $WBG_VERSION (about 2 min cold)"
  # Without --locked: a dependency pinned in its lock file is gone from the registry.
  light_install 1 wasm-bindgen-cli --version "$WBG_VERSION" --force
fi

# wasm-pack, for `wasm-pack test --headless --chrome` (the wasm stage of scripts/test.sh):
# with `--mode no-install` it uses the wasm-bindgen above and Debian's chromedriver and
# downloads nothing.
WASM_PACK_VERSION=0.15.1
if [[ "$(wasm-pack --version 2>/dev/null || true)" != "wasm-pack $WASM_PACK_VERSION" ]]; then
  step "cargo install wasm-pack $WASM_PACK_VERSION (a minute or two cold)"
  light_install 0 --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

# wasm-opt for the release bundles (Trunk runs it; Trunk.toml pins the version). npm's
# binaryen (wasm-opt compiled to wasm, run by node): Debian's older binaryen breaks the
# app's wasm.
BINARYEN_VERSION=132
BINARYEN_DIR="$HOME/.cache/supplycast/binaryen"
if [[ "$("$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null || true)" != "wasm-opt version $BINARYEN_VERSION (version_$BINARYEN_VERSION)" ]]; then
  wait_apt
  step "npm install binaryen@$BINARYEN_VERSION.0.0 (wasm-opt)"
  mkdir -p "$BINARYEN_DIR"
  (cd "$BINARYEN_DIR" && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION.0.0")
fi

# Trunk builds offline (Trunk.toml): every crate must be in the local cargo cache
# (quick when it already is).
cargo fetch --locked --quiet

wait_apt
if [[ "$what" == all ]]; then
  if [[ ! -d tests/e2e/node_modules/playwright-core || ! -d tests/e2e/node_modules/axe-core ]]; then
    step "npm ci (playwright-core for the end-to-end test; it uses Debian's chromium)"
    (cd tests/e2e && npm ci --no-audit --no-fund)
  fi
fi
printf '\nsetup: done in %ss\n' $((SECONDS - t0))
