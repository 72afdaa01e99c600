/* table.h - aligned tables for people (json.h writes for scripts). */
#ifndef RG_TABLE_H
#define RG_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table {
	unsigned ncols;
	const char *head[TABLE_MAX_COLS];
	const char *align;              /* per column: 'l' or 'r' */
	char **cells;                   /* rows * ncols, row-major */
	size_t nrows, cap;
};

/* align is a string of 'l'/'r', one per header. */
void table_init(struct table *t, const char *align, const char *const *head);
/* Append one row of ncols cells, copied through term_escape(): a table
 * is safe on a terminal whatever its cells hold. -1 when out of memory. */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

#endif
