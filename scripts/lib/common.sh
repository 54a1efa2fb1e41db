# Shared by scripts/demo and scripts/test: install what is missing, build.
# shellcheck shell=bash

PASSERELLE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${PASSERELLE_BUILD_DIR:-$PASSERELLE_ROOT/build}

# Debian packages the build, the tests and the demo need.
PASSERELLE_PACKAGES=(
  g++ make cmake pkg-config openssl ca-certificates python3
  libpoco-dev libsodium-dev libssl-dev libboost-dev libgtest-dev libgmock-dev libpq-dev libicu-dev
  postgresql  # a throw-away server for the SQL tests (scripts/lib/postgres.sh)
)

# Debian packages of the DPO console's browser test (tests/e2e, docs/console.md):
# chromium, driven by playwright-core, which npm installs for node.
PASSERELLE_E2E_PACKAGES=(chromium nodejs npm)

# Debian packages of the fuzz build only (tests/fuzz, docs/fuzzing.md): clang and
# libFuzzer with the sanitizer runtimes.
PASSERELLE_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install_missing_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  say "installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "run as root or install sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_passerelle() {
  say "building into ${BUILD_DIR#"$PASSERELLE_ROOT"/}/ (compiler output: ${BUILD_DIR#"$PASSERELLE_ROOT"/}/build.log)"
  mkdir -p "$BUILD_DIR"
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$PASSERELLE_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR/configure.log" 2>&1 \
      || { cat "$BUILD_DIR/configure.log" >&2; die "cmake could not configure the build"; }
  fi
  if ! cmake --build "$BUILD_DIR" -j"${PASSERELLE_JOBS:-2}" "$@" >"$BUILD_DIR/build.log" 2>&1; then
    grep -E -A5 'error|Error' "$BUILD_DIR/build.log" | head -n 80 >&2
    die "the build failed (full output in $BUILD_DIR/build.log)"
  fi
}
