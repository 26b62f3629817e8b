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

# The tools are compiled without LTO and lightly optimised: they only drive cargo,
# wasm-bindgen and the browser, so their own speed hardly matters, while trunk's own
# release profile (fat LTO, one codegen unit) alone took 8-13 min on 2 cores. Cargo's
# configuration (these variables) overrides a package's [profile.release].
light_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false cargo install "$@"
}

TRUNK_VERSION=0.21.14   # trunk 0.22 needs a newer rustc than this project's 1.95
if [[ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]]; then
  step "cargo install trunk $TRUNK_VERSION (about 4.5 min cold)"
  light_install --locked trunk --version "$TRUNK_VERSION"
fi

WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WBG_VERSION" ]]; then
  step "cargo install wasm-bindgen-cli $WBG_VERSION (about 2 min cold)"
  # Without --locked: a dependency pinned in its lock file is gone from the registry.
  light_install wasm-bindgen-cli --version "$WBG_VERSION" --force
fi

# wasm-pack, for `wasm-pack test --headless --chrome` (the wasm stage of scripts/test.sh):
# with `--mode no-install` it uses the wasm-bindgen above and Debian's chromedriver and
# downloads nothing.
WASM_PACK_VERSION=0.15.1
if [[ "$(wasm-pack --version 2>/dev/null || true)" != "wasm-pack $WASM_PACK_VERSION" ]]; then
  step "cargo install wasm-pack $WASM_PACK_VERSION (about 3 min cold)"
  light_install --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

# wasm-opt for the release bundles (Trunk runs it; Trunk.toml pins the version). npm's
# binaryen (wasm-opt compiled to wasm, run by node): Debian's older binaryen breaks the
# app's wasm.
BINARYEN_VERSION=132
BINARYEN_DIR="$HOME/.cache/supplycast/binaryen"
if [[ "$("$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null || true)" != "wasm-opt version $BINARYEN_VERSION (version_$BINARYEN_VERSION)" ]]; then
  if ! command -v npm >/dev/null; then
    step "apt-get install nodejs npm"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  step "npm install binaryen@$BINARYEN_VERSION.0.0 (wasm-opt)"
  mkdir -p "$BINARYEN_DIR"
  (cd "$BINARYEN_DIR" && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION.0.0")
fi

# Trunk builds offline (Trunk.toml): every crate must be in the local cargo cache
# (quick when it already is).
cargo fetch --locked --quiet

if [[ "$what" == all ]]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    step "apt-get install chromium chromium-driver"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  # A software Vulkan driver (lavapipe/llvmpipe), so that the native wgpu test runs on
  # machines without a GPU.
  if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    step "apt-get install mesa-vulkan-drivers libvulkan1 (software Vulkan for the wgpu test)"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
  if [[ ! -d tests/e2e/node_modules/playwright-core || ! -d tests/e2e/node_modules/axe-core ]]; then
    step "npm ci (playwright-core for the end-to-end test; it uses Debian's chromium)"
    (cd tests/e2e && npm ci --no-audit --no-fund)
  fi
fi
printf '\nsetup: done in %ss\n' $((SECONDS - t0))
