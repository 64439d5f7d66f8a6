#!/usr/bin/env bash
# Instructions per round trip (table 1b): valgrind --tool=callgrind counts every instruction, so
# the figure does not move with the machine's load, unlike the wall-clock tables.
#   bench/callgrind.sh BUILD_DIR
# Each path runs twice (N1 and N2 round trips); (Ir(N2) - Ir(N1)) / (N2 - N1) cancels set-up.
set -euo pipefail
build=${1:-build-bench}
if [ "${BENCH_NO_CALLGRIND:-0}" = 1 ]; then
  echo; echo "## 1b. Instructions per round trip: skipped (BENCH_NO_CALLGRIND=1)"; exit 0
fi
if ! command -v valgrind >/dev/null; then
  echo; echo "## 1b. Instructions per round trip: n/a (valgrind not installed)"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() { # mode n [qsize chain] -> total instructions (the profile stays in $tmp/cg.MODE.N)
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1.$2" "$build/vqsim-bench" --count "$@" \
    2>"$tmp/err" >/dev/null || { cat "$tmp/err" >&2; exit 1; }
  sed -n 's/^summary: *//p; s/^totals: *//p' "$tmp/cg.$1.$2" | head -1
}
per_rt() { # mode qsize chain -> instructions per round trip, past the trace's bound as in 1b
  local a b
  a=$(ir "$1" "$n1" "$2" "$3"); b=$(ir "$1" "$n2" "$2" "$3")
  echo $(( (b - a) / (n2 - n1) ))
}
n1=2000 n2=12000
declare -A per
for mode in floor off on; do
  a=$(ir "$mode" "$n1"); b=$(ir "$mode" "$n2")
  per[$mode]=$(( (b - a) / (n2 - n1) ))
done
echo
echo "## 1b. Instructions per round trip (valgrind --tool=callgrind; stable under load)"
echo
echo "| path | instructions / round trip | vs checks off | vs floor |"
echo "|---|---:|---:|---:|"
awk -v f="${per[floor]}" -v off="${per[off]}" -v on="${per[on]}" 'BEGIN {
  printf "| floor: bare ring, indices only | %d | | 1.0x |\n", f
  printf "| driver + model, checks off | %d | 1.00x | %.1fx |\n", off, off / f
  printf "| driver + model, checks on | %d | %.2fx | %.1fx |\n", on, on / off, on / f
}'
# The packed ring and the virtio-pci transport (its cursor queue: 16 entries), each against its
# own checks-off path ("vs checks off") and the floor.
for path in "packed 256" "pci 16"; do
  set -- $path
  off=$(per_rt "off-$1" "$2" 1); on=$(per_rt "on-$1" "$2" 1)
  label=$([ "$1" = packed ] && echo "packed ring" || echo "virtio-pci (queue 16)")
  awk -v f="${per[floor]}" -v off="$off" -v on="$on" -v l="$label" 'BEGIN {
    printf "| %s: driver + model, checks off | %d | 1.00x | %.1fx |\n", l, off, off / f
    printf "| %s: driver + model, checks on | %d | %.2fx | %.1fx |\n", l, on, on / off, on / f
  }'
done
if command -v callgrind_annotate >/dev/null; then
  # Per function, (Ir at N2 - Ir at N1) / (N2 - N1): the loop's own cost, set-up cancelled.
  self() { callgrind_annotate "$1" 2>/dev/null | awk '/file:function/ {go = 1; next}
      go && /^ *[0-9,]+ / { c = $1; gsub(",", "", c); line = $0; sub(/ \[.*$/, "", line);
        sub(/^.*:/, "", line); print line, c }'; }
  self "$tmp/cg.on.$n1" > "$tmp/self1"
  self "$tmp/cg.on.$n2" > "$tmp/self2"
  echo
  echo "checks on, where the instructions of a round trip go (per function, own cost):"
  echo
  echo "| function | instructions / round trip |"
  echo "|---|---:|"
  awk -v d=$((n2 - n1)) 'NR == FNR { a[$1] = $2; next }
      { x = ($2 - a[$1]) / d; if (x >= 40) printf "%d %s\n", x, $1 }' "$tmp/self1" "$tmp/self2" |
    sort -rn | head -12 | awk '{ printf "| %s | %d |\n", $2, $1 }'
fi

echo
echo "scaling in instructions per round trip (checks on / off):"
echo
echo "| queue size, chain | on | off | on per descriptor |"
echo "|---|---:|---:|---:|"
for qc in "1 1" "1024 1" "32768 1" "1024 2" "1024 8" "1024 32"; do
  set -- $qc
  on=$(per_rt on "$1" "$2"); off=$(per_rt off "$1" "$2")
  echo "| $1, $2 | $on | $off | $(( on / $2 )) |"
done

