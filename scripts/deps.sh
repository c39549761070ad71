#!/usr/bin/env bash
# Installs the Debian 12 packages chatroom needs, only those missing.
# Usage: scripts/deps.sh [--fuzz]   (--fuzz adds clang + libFuzzer)
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libcaf-dev                    # CAF 0.17.6: core, io, test DSL
  libssl-dev                    # OpenSSL 3
  libopencv-dev                 # OpenCV 4.6: videoio, imgcodecs, highgui
  libjpeg-dev                   # a JPEG's size from its header (client)
  libboost-program-options-dev
  libicu-dev                    # ICU: NFC, case folding, UTS #39 spoof checks
  nlohmann-json3-dev            # reads the Wycheproof vectors in tests
  opencv-doc                    # Megamind.avi, the real sample clip
  xvfb xauth                    # a virtual X server for the window tests
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libfuzzer-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
