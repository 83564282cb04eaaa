#!/usr/bin/env bash
# Configures and builds one build tree. Usage: deploy/build.sh [DIR] [cmake options...]
# DIR defaults to build/. Uses ccache when it is installed (the CMake file picks it up).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$dir.configure.log" 2>&1 || {
  cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j "$(nproc)"
