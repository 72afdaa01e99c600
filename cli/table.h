/* table.h - aligned tables for people (json.h writes for scripts). */
#ifndef RG_TABLE_H
#define RG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table {
	unsigned ncols;
	const char *head[TABLE_MAX_COLS];
	const char *align;              /* per column: 'l' or 'r' */
	char **cells;                   /* rows * ncols, row-major */
	bool utf8;                      /* cells the admin wrote, shown as UTF-8
					   (table_utf8_terminal()) */
	size_t nrows, cap;
};

/* align is a string of 'l'/'r', one per header. */
void table_init(struct table *t, const char *align, const char *const *head);
/* Append one row of ncols cells, copied through term_escape() (or
 * term_escape_utf8() with utf8 set): a table is safe on a terminal
 * whatever its cells hold. -1 when out of memory. */
int table_add(struct table *t, const char *const *cells);
/* Columns are as wide as their cells show (UTF-8 characters, not bytes). */
void table_print(const struct table *t, FILE *f);
/* Whether the locale variables (LC_ALL, LC_CTYPE, LANG: the first set)
 * name UTF-8, so that the terminal shows it. */
bool table_utf8_terminal(void);
void table_free(struct table *t);

#endif
