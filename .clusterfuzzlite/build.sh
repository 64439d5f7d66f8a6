#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build step: the project's own fuzz/build.sh, which reads $CC, $CFLAGS,
# $LIB_FUZZING_ENGINE, $OUT and $WORK as those builders set them and writes every fuzz/fuzz_*.c
# target, its <target>_seed_corpus.zip, .dict and .options to $OUT.
VQSIM_STATIC_LIBS=1 JOBS="$(nproc)" "$SRC/vqsim/fuzz/build.sh"
