/* grow.c - the one way an array grows: its capacity doubles. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "grow.h"

int grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *v;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			goto overflow;
		n = n ? n * 2 : 1;
	}
	if (elem && n > SIZE_MAX / elem)
		goto overflow;
	/* The pointer is copied, not cast: arrp points at a T *, not a void *. */
	memcpy(&v, arrp, sizeof(v));
	if (!(v = realloc(v, n * elem)))
		return -1;
	memcpy(arrp, &v, sizeof(v));
	*cap = n;
	return 0;
overflow:
	errno = ENOMEM;
	return -1;
}
