#!/usr/bin/env bash
# `make bench`: every benchmark table, ratios measured in this one run (bench/README.md).
#   bench/bench.sh BUILD_DIR [SCALE]
# BUILD_DIR holds vqsim-bench and vqsim built with -O2 and no sanitizers (make bench does it).
# SCALE multiplies every iteration count (1 = the figures in bench/README.md).
# BENCH_VQSIM=PATH times another vqsim binary in table 3 (the smoke test passes the test build's).
# Table 3 compares with a real QEMU boot when qemu-system-aarch64 is installed. If it is not and
# we are root on Debian, this script installs qemu-system-arm (about 16 MB, no recommends) —
# only here, never for make test; BENCH_NO_INSTALL=1 skips that and prints n/a.
# BENCH_NO_QEMU=1: no QEMU at all (tables 3's comparison and 6); BENCH_NO_LINUX=1: table 6 only.
# The last table, bench/targets.py, prints every row of issue 24 against its target.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
scale=${2:-1}

if ! command -v qemu-system-aarch64 >/dev/null && [ "${BENCH_NO_INSTALL:-0}" != 1 ] &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench: installing qemu-system-arm for the QEMU comparison (BENCH_NO_INSTALL=1 skips)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm \
    >/dev/null 2>&1 || echo "bench: could not install qemu-system-arm; QEMU figures are n/a" >&2
fi

model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# vqsim benchmarks"
echo
echo "machine: $(nproc) cores (nproc), ${model:-unknown CPU}, $(uname -sr); scale $scale"
echo "load average at start (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg) — wall-clock figures"
echo "are only as quiet as the machine; instruction counts (1b) and CPU times (3) are not affected"

# Everything printed is kept ($out) for the last table: each row of issue 24 against its target.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
"$build/vqsim-bench" --scale "$scale" --only 1
bash bench/callgrind.sh "$build"
"$build/vqsim-bench" --scale "$scale" --only 2
mapfile -t scenarios < <(find scenarios -name '*.yaml' | LC_ALL=C sort)
python3 bench/suite.py "${BENCH_VQSIM:-$build/vqsim}" "$scale" "${scenarios[@]}"
"$build/vqsim-bench" --scale "$scale" --only 4,5
# 6. A real Linux guest recorded and checked (bench/linux_record.py): Debian's kernel, fetched
# once into $build/linux-guest (network on the first run); n/a without QEMU or the guest.
echo
echo "## 6. Recording a Linux guest (bench/linux_record.py: size, record / plain QEMU, check)"
echo
if [ "${BENCH_NO_QEMU:-0}" = 1 ] || [ "${BENCH_NO_LINUX:-0}" = 1 ]; then
  echo "n/a: BENCH_NO_$([ "${BENCH_NO_QEMU:-0}" = 1 ] && echo QEMU || echo LINUX)=1"
elif command -v qemu-system-aarch64 >/dev/null; then
  runs=$(python3 -c "print(max(1, round(3 * float('$scale'))))")
  python3 bench/linux_record.py --build "$build" --runs "$runs" --cases modern,busy ||
    echo "n/a: the Linux guest could not be recorded (tools/linux-guest.py needs network once)"
else
  echo "n/a: no qemu-system-aarch64"
fi
} | tee "$out"
python3 bench/targets.py "$out"
