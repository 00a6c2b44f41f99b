#!/bin/sh
# Installs the Debian packages vernier's build and tests need, only those missing.
# Runs apt-get as root (or through sudo); does nothing when all are present.
set -eu
PKGS="build-essential pkg-config zlib1g-dev libsqlite3-dev libyaml-dev python3 python3-numpy python3-scipy python3-sklearn python3-pytest python3-yaml python3-markdown chromium python3-dev python3-setuptools python3-pip python3-venv python3-pandas python3-dask python3-distributed python3-statsmodels"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "vernier: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
