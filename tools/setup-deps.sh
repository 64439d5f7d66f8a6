#!/usr/bin/env bash
# Installs the Debian packages vqsim needs to build, run and test, if any is missing.
# Idempotent and quiet when everything is present: `make run` and `make test` call it first, so a
# fresh Debian 12 machine needs nothing done by hand. Needs root (or sudo) only when installing.
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config libcmocka-dev libyaml-dev libpng-dev
      python3 python3-pytest python3-pytest-xdist python3-yaml)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-deps: installing missing Debian packages: ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done" >&2
