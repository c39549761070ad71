#!/usr/bin/env bash
# One command from a fresh clone to a green test run: installs what is
# missing, builds, runs every CTest suite (unit, actor, crypto vectors,
# integration with real processes on loopback).
#   scripts/test.sh            normal build (build/)
#   scripts/test.sh --asan     AddressSanitizer + UBSan build (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${1:-}" == "--asan" ]]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DCHATROOM_SANITIZE=ON)
fi
# The Wycheproof vectors live beside the checkout (../shared); the suite says
# SKIPPED when they are not there.
if [[ -z "${CHATROOM_WYCHEPROOF_DIR:-}" && -d ../shared/test-vectors/wycheproof ]]; then
  export CHATROOM_WYCHEPROOF_DIR="$(cd ../shared/test-vectors/wycheproof && pwd)"
fi
cmake -S . -B "$dir" "${flags[@]}"
cmake --build "$dir" -j2
cd "$dir"
ctest -j2 --output-on-failure
