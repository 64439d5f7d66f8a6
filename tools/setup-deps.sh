#!/usr/bin/env bash
# Installs the Debian packages vqsim needs to build, run and test, if any is missing (and chromium,
# optionally, for the report's browser tests).
# Idempotent and quiet when everything is present: `make run` and `make test` call it first, so a
# fresh Debian 12 machine needs nothing done by hand. Needs root (or sudo) only when installing.
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config libcmocka-dev libyaml-dev libpng-dev
      zlib1g-dev           # recordings are deflated (src/record/recording_zlib.h)
      python3 python3-pytest python3-pytest-xdist python3-yaml
      # the real-QEMU differential (tests/test_qemu_diff.py): QEMU 7.2's qemu-system-aarch64
      # and the bare-metal toolchain for ports/aarch64-virt (clang --target=aarch64-none-elf)
      qemu-system-arm clang lld
      libclang-rt-14-dev   # clang's libFuzzer and sanitizer runtimes: fuzz/build.sh
      llvm                 # llvm-cov / llvm-profdata: the fuzz targets' coverage (tools/fuzz_campaign.py)
      zip                  # fuzz/build.sh packs each target's seeds as OSS-Fuzz does (NAME_seed_corpus.zip)
      frama-c-base         # Frama-C Eva and WP: the proof of the driver (tests/test_frama_c*.py, tools/frama-c/)
      why3 cvc4)           # WP's prover: Why3 1.5 drives CVC4 1.8 (Why3 1.5 does not know cvc5 1.0; Debian 12 has no Alt-Ergo)

# Optional: when they cannot be installed (no network, no root) the build goes on. The report's
# browser tests need chromium, chromium-driver and python3-selenium
# (tests/test_report_screenshot.py renders build/report/index.html headless, tests/test_viewer.py
# drives the step-through viewer through chromium-driver with Selenium) and skip without them,
# saying why.
optional=(chromium chromium-driver python3-selenium)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
missing_optional=()
for p in "${optional[@]}"; do installed "$p" || missing_optional+=("$p"); done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    [ ${#missing[@]} -eq 0 ] && { echo "setup-deps: not installing ${missing_optional[*]} (optional; needs root or sudo)" >&2; exit 0; }
    echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing missing Debian packages: ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  updated=1
fi
if [ ${#missing_optional[@]} -gt 0 ]; then
  echo "setup-deps: installing optional Debian packages: ${missing_optional[*]}" >&2
  if ! { [ -n "${updated:-}" ] || "${as_root[@]}" apt-get update -qq; } ||
     ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null; then
    echo "setup-deps: could not install ${missing_optional[*]} (optional: the report's browser tests skip)" >&2
  fi
fi
echo "setup-deps: done" >&2
