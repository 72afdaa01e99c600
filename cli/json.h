/* json.h - the one JSON writer behind every --json: numbers as numbers,
 * booleans as booleans, lists as arrays, every string escaped. Commas and
 * nesting are tracked here, so no command writes punctuation itself. */
#ifndef RG_JSON_H
#define RG_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	unsigned depth;
	char close[JSON_MAX_DEPTH];     /* '}' or ']' per open container */
	bool more[JSON_MAX_DEPTH];      /* a value was written at this depth */
	bool lined[JSON_MAX_DEPTH];     /* ... on a line of its own */
	bool keyed;                     /* a key waits for its value */
	unsigned skip;                  /* containers open past JSON_MAX_DEPTH */
};

void json_init(struct json *j, FILE *f);
/* Open an object or an array; json_end() closes the innermost one, and
 * the outermost with a newline. */
void json_object(struct json *j);
void json_array(struct json *j);
void json_end(struct json *j);
/* The key of the next value, inside an object. */
void json_key(struct json *j, const char *k);
/* A string literal; ASCII only (bytes past ASCII as \u0080-\u00ff, so
 * the output is valid JSON and inert on a terminal whatever it holds). */
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, unsigned long long v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A number that arrives as text (the control protocol's fields): written
 * as a number when it is one, as null when it is not. */
void json_number_text(struct json *j, const char *s);

#endif
