#!/usr/bin/env bash
# Installs the Debian packages servicedesk needs to build, run and test.
# Safe to run twice: packages already present are not touched, and apt is not
# consulted at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libasio-dev libabsl-dev tzdata
  libtomlplusplus-dev libcli11-dev libspdlog-dev libphonenumber-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-protobuf
  rocksdb-tools
  libncurses-dev tmux openssl
)
# Only what the benchmarks need (PostgreSQL as the comparison baseline).
bench_packages=(postgresql libpq-dev)

want=("${packages[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${bench_packages[@]}"); fi

missing=()
for package in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
