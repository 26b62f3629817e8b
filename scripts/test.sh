#!/usr/bin/env bash
# Runs every test: native unit + integration tests (including the reference check
# against ../shared data), the Python package's tests (scripts/python-tests.sh), wasm-bindgen tests in headless Chromium (core in the
# browser, Burn on WebGPU and CPU, canvas, IndexedDB), then builds the app (Trunk's
# release pipeline) and runs the end-to-end test in headless Chromium. Installs what is
# missing first. Build outputs live in $CARGO_TARGET_DIR (default
# ~/.cache/supplycast/target) so that repeat runs are fast. Prints how long each stage
# took.
#
# Two lanes run side by side until the end-to-end test: the browser lane (wasm tests,
# then the app build, which reuses their compiled crates) in the background, its output
# printed when it is done, and the native lane in the foreground. Each lane leaves a
# core idle for minutes (tests in the browser, wasm-opt, single-threaded test runs and
# the last crates of a build); side by side the other lane fills it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
# wasm-opt from npm's binaryen (scripts/setup.sh), for Trunk's release builds.
export PATH="$HOME/.cache/supplycast/binaryen/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=never
declare -a TIMES=()
t_start=$SECONDS
stage() {
  local name="$1"; shift
  local t=$SECONDS
  printf '\n==== %s\n' "$name"
  "$@"
  TIMES+=("$(printf '%-40s %5ss' "$name" $((SECONDS - t)))")
}
lane_pid=""
lane_dir=$(mktemp -d)
kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
report_times() {
  if [[ -n "$lane_pid" ]]; then
    kill_tree "$lane_pid"
    printf '\n==== browser lane (stopped)\n'
    cat "$lane_dir/log" 2>/dev/null || true
  fi
  printf '\n==== stage times\n'
  for t in "${TIMES[@]}"; do printf '  %s\n' "$t"; done
  printf '  %-40s %5ss\n' "in all" $((SECONDS - t_start))
}
trap report_times EXIT

stage "setup (tools)" scripts/setup.sh

wasm_tests() {
  # The command the Rust wasm ecosystem uses, offline: `--mode no-install` takes the
  # wasm-bindgen-test-runner beside the installed wasm-bindgen (its version must equal
  # Cargo.lock's) and Debian's chromedriver; wasm-pack builds every test target for
  # wasm32 (the native-only ones compile to nothing), then runs `cargo test --target
  # wasm32-unknown-unknown` with the runner, CHROMEDRIVER and WASM_BINDGEN_TEST_ONLY_WEB
  # set. Its check for a newer wasm-pack fails offline with a warning only.
  CARGO_NET_OFFLINE=true WASM_BINDGEN_TEST_TIMEOUT=600 \
    wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install \
    --profile wasm-test --locked --features nn --test web
}
TEST_DIST="$(realpath -m "$CARGO_TARGET_DIR")/dist-test"
app_build() {
  # Trunk's release pipeline (wasm-bindgen, wasm-opt -Oz, the CSP hook), compiled with the
  # wasm tests' profile (opt-level 2, no LTO) so that the app reuses the crates the wasm
  # stage compiled instead of compiling them again for the release profile (opt-level s,
  # fat LTO), which took 12 min of a cold run. scripts/serve.sh builds with the release
  # profile; the code is the same, only rustc's optimisation differs. It goes to its own
  # folder so that dist/ stays the release build the benchmarks (tests/e2e/bench_*.mjs) read.
  trunk build --release --cargo-profile wasm-test --locked --dist "$TEST_DIST"
}
browser_lane() {
  local t=$SECONDS
  printf '\n==== wasm tests (headless Chromium)\n'
  wasm_tests
  printf 'wasm tests (headless Chromium)|%s\n' $((SECONDS - t)) >>"$lane_dir/times"
  t=$SECONDS
  printf '\n==== app build (trunk, wasm-opt)\n'
  app_build
  printf 'app build (trunk, wasm-opt)|%s\n' $((SECONDS - t)) >>"$lane_dir/times"
}
printf '\n==== browser lane (wasm tests, app build) in the background\n'
browser_lane >"$lane_dir/log" 2>&1 &
lane_pid=$!

stage "native tests" cargo test --locked --workspace
nn_tests() {
  # One native Burn build for every neural test (`gpu` includes `nn`): the Flex CPU
  # tests, and native wgpu on the software Vulkan driver (llvmpipe) when there is no
  # GPU, where the same weights must give the same forecasts as on the CPU. The last
  # stage uses the same build.
  XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" cargo test --locked --features gpu --lib nn:: &&
    cargo test --locked --features gpu --test neural
}
stage "native tests, Burn (Flex CPU and wgpu)" nn_tests
# The Python package (maturin wheel into a virtual environment) and its tests, the Dask
# local cluster among them, while the browser lane is still busy.
stage "Python package and Dask (pytest)" scripts/python-tests.sh

join_lane() {
  local rc=0 t=$SECONDS name secs
  wait "$lane_pid" || rc=$?
  lane_pid=""
  cat "$lane_dir/log"
  while IFS='|' read -r name secs; do
    TIMES+=("$(printf '%-40s %5ss' "$name (side by side)" "$secs")")
  done < <(cat "$lane_dir/times" 2>/dev/null)
  printf '\nbrowser lane: waited %ss for it after the native lane\n' $((SECONDS - t))
  return "$rc"
}
stage "browser lane: its output, the wait" join_lane

e2e() { (cd tests/e2e && SUPPLYCAST_DIST="$TEST_DIST" node --test --test-reporter=spec); }
stage "end-to-end (headless Chromium)" e2e

browser_model_natively() {
  # The model the e2e test trained in the browser and downloaded, read by the native CLI
  # (one file format both ways), with the neural tests' build.
  cargo test --locked --features gpu --test neural the_browser_trained_model_forecasts_natively \
    -- --ignored --nocapture
}
stage "browser-trained model read natively" browser_model_natively
