/* table.c - column widths computed over every row, then printed aligned. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "grow.h"
#include "table.h"

void table_init(struct table *t, const char *align, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->align = align;
	t->ncols = (unsigned)strlen(align);
	for (unsigned i = 0; i < t->ncols && i < TABLE_MAX_COLS; i++)
		t->head[i] = head[i];
}

int table_add(struct table *t, const char *const *cells)
{
	if (grow(&t->cells, &t->cap, t->nrows + 1, t->ncols * sizeof(*t->cells), 64) < 0)
		return -1;
	for (unsigned i = 0; i < t->ncols; i++) {
		/* Cells may hold text from the network: escaped here, once. */
		const char *c = cells[i] ? cells[i] : "";
		size_t (*esc)(const char *, char *, size_t) = t->utf8 ? term_escape_utf8 : term_escape;
		size_t len = esc(c, NULL, 0) + 1;
		char *s = malloc(len);

		if (!s) {
			while (i--)
				free(t->cells[t->nrows * t->ncols + i]);
			return -1;
		}
		esc(c, s, len);
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

void table_print(const struct table *t, FILE *f)
{
	size_t w[TABLE_MAX_COLS];

	for (unsigned c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = term_width(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] : t->head[c];
			/* Padded by the columns a cell takes, not its bytes (UTF-8). */
			int pad = (int)(w[c] - term_width(s));
			bool last = c + 1 == t->ncols;

			if (t->align[c] == 'r')
				fprintf(f, "%*s%s%s", pad, "", s, last ? "" : "  ");
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%s%*s  ", s, pad, "");
		}
		fputc('\n', f);
	}
}

bool table_utf8_terminal(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}
