#!/usr/bin/env bash
# One command from a fresh clone to a running server: installs what is
# missing, builds Release, prepares the sample videos, starts chat-server
# with config/server.ini. Extra arguments go to chat-server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
cmake --build build-release -j2 --target chat-server chat-client make-sample-videos
# Two sample videos in 240p/720p/1080p (skipped when already there).
build-release/make-sample-videos --out videos
exec build-release/chat-server --config config/server.ini "$@"
