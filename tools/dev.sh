#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or with sudo available):
#   bash tools/dev.sh demo   -> install missing packages, configure, build, run the live demo feed
#   bash tools/dev.sh test   -> the same set-up, then the whole test suite
#   bash tools/dev.sh build  -> set-up and build only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ meson ninja-build pkg-config
  libboost-dev libxxhash-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev libicu-dev
  pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest python3-hypothesis
  python3-mesonpy python3-pip python3-matplotlib python3-cryptography
  clang libclang-rt-14-dev libzmq3-dev valgrind
  awscli python3-botocore python3-boto3 jp
  golang-go golang-github-aws-aws-sdk-go-v2-dev
)
BUILD_DIR=${SHMSTREAM_BUILD_DIR:-build}

install_missing_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  # Debian's python3 and meson, whatever else is first on PATH (pyenv, venvs).
  export PATH="/usr/bin:$PATH"
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=debugoptimized
  fi
  ninja -C "$BUILD_DIR"
}

command=${1:-build}
shift || true
install_missing_packages
configure_and_build
case "$command" in
  build) ;;
  demo) exec "$BUILD_DIR/tools/shmstream" demo "$@" ;;
  test) exec meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 "$@" ;;
  *) echo "usage: $0 {demo|test|build} [args...]" >&2; exit 2 ;;
esac
