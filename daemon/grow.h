/* grow.h - the one way an array grows: its capacity doubles. */
#ifndef RG_GROW_H
#define RG_GROW_H

#include <stddef.h>

/* Make room for need elements of elem bytes in the array whose pointer is
 * at arrp (a T **) and whose capacity is *cap: doubled from *cap, or from
 * first when it is 0, until need fits. Returns 0, or -1 (ENOMEM) on
 * overflow or when realloc fails; the array and *cap are then unchanged. */
int grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);

#endif
