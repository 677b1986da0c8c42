#!/usr/bin/env bash
# Install every Debian package that building, testing and `make run` need.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

PKGS=(
  build-essential pkg-config git ca-certificates openssl xxd
  libssl-dev libp11-kit-dev p11-kit p11-kit-modules softhsm2 opensc
  libxml2-dev libhpdf-dev libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev
  libqrencode-dev libsqlite3-dev libpq-dev zlib1g-dev libharfbuzz-dev
  libcmocka-dev
  clang libclang-rt-14-dev clang-format
  poppler-utils qpdf xmlsec1 libnss3-tools curl zbar-tools
  fonts-dejavu-core python3-fonttools
  chromium
)

# Node.js and npm run the xadesjs interop peer (installed test-locally from
# npm by the tests).  A Node.js that already brings its own npm (e.g. a
# vendor package that conflicts with Debian's npm) is kept.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "deps.sh: run as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2
