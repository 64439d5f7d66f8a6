/* string.h — the few C library functions the port's C files need (libc.c), for code shared
 * with the host build (src/harness/patterns.c) that includes <string.h>. */
#ifndef VQ_PORT_STRING_H
#define VQ_PORT_STRING_H

#include <stddef.h>

int strcmp(const char *a, const char *b);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* VQ_PORT_STRING_H */
