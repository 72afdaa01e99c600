/* json.c - a streaming JSON writer: one value after another, the
 * separators decided from the nesting it keeps. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* The outermost container's members, and the objects of a list in it,
 * start a line each: a list reads (and greps) one entry per line. */
static bool by_line(const struct json *j, bool container)
{
	return j->depth == 1 || (j->depth == 2 && j->close[1] == ']' && container);
}

/* Before any value: the comma after a sibling, and its line. False while
 * inside a container too deep to write, whose values are left out. */
static bool value(struct json *j, bool container)
{
	if (j->skip)
		return false;
	if (j->keyed) {
		j->keyed = false;
		return true;
	}
	if (!j->depth)
		return true;
	if (j->more[j->depth - 1])
		fputc(',', j->f);
	j->more[j->depth - 1] = true;
	if (by_line(j, container)) {
		j->lined[j->depth - 1] = true;
		fprintf(j->f, "\n%*s", (int)j->depth, "");
	}
	return true;
}

static void open_container(struct json *j, char o, char c)
{
	if (!value(j, true)) {
		j->skip++;
		return;
	}
	/* Deeper than any command nests: null, and its contents left out,
	 * so the output stays valid JSON. */
	if (j->depth == JSON_MAX_DEPTH) {
		fputs("null", j->f);
		j->skip = 1;
		return;
	}
	fputc(o, j->f);
	j->close[j->depth] = c;
	j->more[j->depth] = j->lined[j->depth] = false;
	j->depth++;
}

void json_object(struct json *j)
{
	open_container(j, '{', '}');
}

void json_array(struct json *j)
{
	open_container(j, '[', ']');
}

void json_end(struct json *j)
{
	if (j->skip) {
		j->skip--;
		return;
	}
	if (!j->depth)
		return;
	if (j->lined[j->depth - 1])
		fprintf(j->f, "\n%*s", (int)j->depth - 1, "");
	j->depth--;
	fputc(j->close[j->depth], j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *k)
{
	if (!value(j, false))
		return;
	quoted(j->f, k);
	fputc(':', j->f);
	j->keyed = true;
}

void json_string(struct json *j, const char *s)
{
	if (value(j, false))
		quoted(j->f, s);
}

void json_uint(struct json *j, unsigned long long v)
{
	if (value(j, false))
		fprintf(j->f, "%llu", v);
}

void json_double(struct json *j, double v)
{
	if (!value(j, false))
		return;
	if (isfinite(v))
		fprintf(j->f, "%.15g", v);
	else
		fputs("null", j->f);        /* JSON has no NaN or infinity */
}

void json_bool(struct json *j, bool v)
{
	if (value(j, false))
		fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	if (value(j, false))
		fputs("null", j->f);
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		if (*++s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

void json_number_text(struct json *j, const char *s)
{
	if (value(j, false))
		fputs(is_number(s) ? s : "null", j->f);
}
