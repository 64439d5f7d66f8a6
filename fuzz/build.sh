#!/usr/bin/env bash
# fuzz/build.sh — build the libFuzzer targets of fuzz/ (see README.md, "Fuzzing").
#
#   fuzz/build.sh            -> build/fuzz/<target> for every fuzz/<target>.c (fuzz_driver_vs_device,
#                               fuzz_device_model, fuzz_scenario, fuzz_recording, and any added)
#
# Adding a target: write fuzz/fuzz_NAME.c (LLVMFuzzerTestOneInput) and its seeds in
# fuzz/corpus/fuzz_NAME/; optionally fuzz/fuzz_NAME.options ([libfuzzer] max_len = ..., dict = ...)
# and fuzz/fuzz_NAME.dict. This script, make fuzz, the tests and ClusterFuzzLite find it by name.
#
# Follows the OSS-Fuzz build conventions, so the same script serves a fuzzing cluster: it honours
# CC, CFLAGS, LIB_FUZZING_ENGINE, OUT and WORK when set (OSS-Fuzz sets them all; its CFLAGS carry
# the sanitizer and -fsanitize=fuzzer-no-link), and otherwise builds with clang under
# AddressSanitizer + UBSan, every UBSan finding fatal. Needs clang with libFuzzer (Debian: clang,
# libclang-rt-14-dev) and libyaml (pkg-config yaml-0.1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-clang}
OUT=${OUT:-$ROOT/build/fuzz}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
CFLAGS=${CFLAGS:--g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=all -fsanitize=fuzzer-no-link}
JOBS=${JOBS:-2}

OBJ=${WORK:-$OUT}/obj   # OSS-Fuzz gives a scratch directory in WORK
mkdir -p "$OBJ"
COMMON=(-std=c11 -D_GNU_SOURCE -I"$ROOT/src" -I"$ROOT/include" -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
        -Wno-missing-field-initializers)
read -r -a USER_CFLAGS <<<"$CFLAGS"
read -r -a YAML_CFLAGS <<<"$(pkg-config --cflags yaml-0.1)"
read -r -a YAML_LIBS <<<"$(pkg-config --libs yaml-0.1)"

# spec/rules.yaml and spec/sections.yaml parsed into C tables, as the CMake build does (its tool,
# tools/yaml_embed.c, built for this machine without the fuzzing flags).
"$CC" -std=c11 -D_GNU_SOURCE -I"$ROOT/src" "${YAML_CFLAGS[@]}" "$ROOT/tools/yaml_embed.c" \
      "$ROOT/src/util/yaml_tree.c" "${YAML_LIBS[@]}" -o "$OBJ/vqsim-yaml-embed"
"$OBJ/vqsim-yaml-embed" "$ROOT/spec/rules.yaml" "$OBJ/rules_blob.c" vqsim_rules_embed \
      spec/rules.yaml
"$OBJ/vqsim-yaml-embed" "$ROOT/spec/sections.yaml" "$OBJ/sections_blob.c" vqsim_sections_embed \
      spec/sections.yaml

# Every source of each layer (new files are picked up without editing this script); each layer
# becomes an archive, so a target links only the objects it needs.
cd "$ROOT"
DRIVER=(src/driver/*.c)
shopt -s globstar
CORE=(src/util/*.c src/spec/*.c src/model/**/*.c
      src/record/recording_*.c) # the recording format; record_cmd*.c is the cli's
HARNESS=()
for f in src/harness/*.c src/lib/*.c; do
  case "$f" in src/harness/hal_sim.c|src/harness/hal_sim_pci.c|src/harness/hal_sim_narrow.c) ;; *) HARNESS+=("$f") ;; esac
done
HAL=(src/harness/hal_sim.c src/harness/hal_sim_pci.c src/harness/hal_sim_narrow.c) # virtio_hal.h on the model: after the
                                                      # driver that calls it
# One compile command per line, run JOBS at a time.
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
q() { printf '%q ' "$@"; }
# The driver is freestanding, as in the CMake build: only the compiler's own headers.
for src in "${DRIVER[@]}"; do
  echo "$(q "$CC" "${COMMON[@]}" "${USER_CFLAGS[@]}" -ffreestanding -nostdinc \
       -isystem "$("$CC" -print-file-name=include)" -c "$ROOT/$src" -o "$OBJ/$(basename "$src" .c).o")"
done >>"$cmds"
TARGETS=()
for f in fuzz/fuzz_*.c; do TARGETS+=("$(basename "$f" .c)"); done
for src in "${CORE[@]}" "${HARNESS[@]}" "${HAL[@]}" "$OBJ/rules_blob.c" "$OBJ/sections_blob.c" \
           "${TARGETS[@]/#/fuzz/}"; do
  case $src in fuzz/*) src=$src.c ;; esac
  case $src in /*) path=$src ;; *) path=$ROOT/$src ;; esac
  echo "$(q "$CC" "${COMMON[@]}" "${USER_CFLAGS[@]}" "${YAML_CFLAGS[@]}" -c "$path" \
       -o "$OBJ/$(basename "$src" .c).o")"
done >>"$cmds"
# The model and its HAL once more without coverage instrumentation (the sanitizers kept), for the
# targets that do not aim at them (UNCOVERED_HAL, UNCOVERED_MODEL below).
UNCOVERED=(src/model/**/*.c "${HAL[@]}")
mkdir -p "$OBJ/uncovered"
printf 'src:*\n' >"$OBJ/no-coverage.txt"
for src in "${UNCOVERED[@]}"; do
  echo "$(q "$CC" "${COMMON[@]}" "${USER_CFLAGS[@]}" "${YAML_CFLAGS[@]}" \
       -fsanitize-coverage-ignorelist="$OBJ/no-coverage.txt" -c "$ROOT/$src" \
       -o "$OBJ/uncovered/$(basename "$src" .c).o")"
done >>"$cmds"
xargs -P "$JOBS" -I{} bash -c '{}' <"$cmds"

o() { for s in "$@"; do printf '%s\n' "$OBJ/$(basename "$s" .c).o"; done; }
archive() { # name sources...
  local a=$OBJ/$1.a; shift
  rm -f "$a"
  mapfile -t objs < <(o "$@")
  ${AR:-ar} rcs "$a" "${objs[@]}"
}
archive libdriver "${DRIVER[@]}"
archive libcore "${CORE[@]}" rules_blob.c sections_blob.c
archive libharness "${HARNESS[@]}"
archive libhal "${HAL[@]}"
OTHER_CORE=()
for f in "${CORE[@]}"; do case "$f" in src/model/*) ;; *) OTHER_CORE+=("$f") ;; esac; done
uncovered() { for s in "$@"; do printf '%s\n' "$OBJ/uncovered/$(basename "$s" .c).o"; done; }
rm -f "$OBJ/libcore-uncovered.a" "$OBJ/libhal-uncovered.a"
mapfile -t objs < <(o "${OTHER_CORE[@]}" rules_blob.c sections_blob.c; uncovered src/model/**/*.c)
${AR:-ar} rcs "$OBJ/libcore-uncovered.a" "${objs[@]}"
mapfile -t objs < <(uncovered "${HAL[@]}")
${AR:-ar} rcs "$OBJ/libhal-uncovered.a" "${objs[@]}"
read -r -a ENGINE <<<"$LIB_FUZZING_ENGINE"
# libyaml and libpng: linked statically for a cluster (VQSIM_STATIC_LIBS=1, .clusterfuzzlite/
# build.sh), whose runner image does not have them installed.
read -r -a PNG_LIBS <<<"$(pkg-config --libs libpng)"   # the runner writes PNGs
read -r -a ZLIB_LIBS <<<"$(pkg-config --libs zlib)"    # recordings are deflated
LIBS=("${PNG_LIBS[@]}" "${ZLIB_LIBS[@]}" "${YAML_LIBS[@]}")
[ "${VQSIM_STATIC_LIBS:-0}" = 1 ] && LIBS=(-l:libpng16.a -l:libz.a -l:libyaml.a -lm)
# Every target links against every layer: an archive gives only the objects a target needs, and
# a target that implements virtio_hal.h itself (fuzz_driver_vs_device) never pulls hal_sim.c.
# What a target does not aim at (AIMS in tools/fuzz_campaign.py) is linked without coverage
# instrumentation (the sanitizers kept: every check and oracle is the same): hal_sim.c for the
# targets driving the model through it, and the model itself for those that aim at the drivers or
# at the recording reader and the replay and run the model only as the other side. libFuzzer is
# then guided by the code each target aims at, and an input costs a fraction of the comparison
# tracing and of the feature bookkeeping after it.
UNCOVERED_HAL=" fuzz_device_model fuzz_drivers fuzz_recording "
UNCOVERED_MODEL=" fuzz_drivers fuzz_recording "
for t in "${TARGETS[@]}"; do
  hal=libhal core=libcore
  [[ $UNCOVERED_HAL == *" $t "* ]] && hal=libhal-uncovered
  [[ $UNCOVERED_MODEL == *" $t "* ]] && core=libcore-uncovered
  $CC "${USER_CFLAGS[@]}" "$OBJ/$t.o" "$OBJ/libharness.a" "$OBJ/libdriver.a" "$OBJ/$hal.a" \
    "$OBJ/$core.a" "${ENGINE[@]}" "${LIBS[@]}" -o "$OUT/$t"
done

# Seed corpora, dictionaries and options next to the binaries (the layout OSS-Fuzz expects in $OUT).
for t in "${TARGETS[@]}"; do
  if command -v zip >/dev/null; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    [ -n "$(ls -A "$ROOT/fuzz/corpus/$t" 2>/dev/null)" ] &&
      (cd "$ROOT/fuzz/corpus/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  fi
  for x in dict options; do [ -f "$ROOT/fuzz/$t.$x" ] && cp "$ROOT/fuzz/$t.$x" "$OUT/$t.$x"; done
done
echo "fuzz/build.sh: built ${TARGETS[*]/#/$OUT/}"
