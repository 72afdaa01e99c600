/* fuzz.h - helpers for the libFuzzer harnesses: inputs as C strings and
 * as files (for the parsers that read paths). */
#ifndef RG_FUZZ_H
#define RG_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A NUL-terminated copy; free() it. */
static inline char *fuzz_str(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, d, n);
		s[n] = 0;
	}
	return s;
}

/* d as the content of a file at path (made or replaced). */
static inline int fuzz_file(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (n && fwrite(d, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* A private directory for file-reading harnesses, made once; on tmpfs,
 * where the fsync of an atomic write costs nothing. */
static inline const char *fuzz_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/dev/shm/rg-fuzz-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

#endif
