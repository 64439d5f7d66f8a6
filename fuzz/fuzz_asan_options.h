/* fuzz_asan_options.h — AddressSanitizer's defaults for the targets that build a machine per input
 * (fuzz_device_model, fuzz_drivers, fuzz_recording); included once by each, as the one definition
 * of __asan_default_options in its binary. ASAN_OPTIONS, when set (OSS-Fuzz sets it), overrides
 * these flag by flag.
 *
 * quarantine_size_mb=16 (default 256): a freed block stays poisoned until 16 MB more have been
 *   freed, not 256 MB. An input frees well under 1 MB, so a use after free within an input, or of
 *   a block freed by any of the last dozens of inputs, is still caught; past that it is not. The
 *   gain: freed memory is reused instead of every allocation taking fresh pages (page faults, and
 *   the pages' release, were a tenth of these targets' time).
 * malloc_context_size=8 (default 30): the allocation and free stacks kept for a report are 8 frames
 *   deep (the call that allocated and its callers up to the target's operation); what is detected
 *   is the same, the unwinding per allocation is shorter.
 */
#ifndef FUZZ_ASAN_OPTIONS_H
#define FUZZ_ASAN_OPTIONS_H

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16:malloc_context_size=8";
}

#endif /* FUZZ_ASAN_OPTIONS_H */
