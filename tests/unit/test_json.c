/* test_json.c - the CLI's JSON writer: separators from the nesting, every
 * byte of a string escaped to ASCII, numbers from text only when they are
 * JSON numbers, and output that stays valid however deep a caller nests. */
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "tap.h"

/* Run fn on a fresh writer; its output, to be freed. */
static char *capture(void (*fn)(struct json *j, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	fn(&j, arg);
	fclose(f);
	return buf;
}

static void nested(struct json *j, const void *arg)
{
	int depth = *(const int *)arg;

	for (int i = 0; i < depth; i++) {
		json_object(j);
		json_key(j, "a");
		json_uint(j, (unsigned)i);
		json_key(j, "n");
	}
	json_bool(j, true);
	for (int i = 0; i < depth; i++)
		json_end(j);
}

static void mixed(struct json *j, const void *arg)
{
	(void)arg;
	json_object(j);
	json_key(j, "list");
	json_array(j);
	json_uint(j, 1);
	json_double(j, 0.5);
	json_double(j, 1.0 / 0.0);
	json_null(j);
	json_end(j);
	json_key(j, "rows");
	json_array(j);
	json_object(j);
	json_key(j, "s");
	json_string(j, "q\"b\\c\n\x1b\xc3\xa9");
	json_end(j);
	json_end(j);
	json_key(j, "empty");
	json_array(j);
	json_end(j);
	json_end(j);
}

static void number(struct json *j, const void *arg)
{
	json_number_text(j, arg);
}

/* Only printable ASCII and newlines: inert on a terminal. */
static int ascii(const char *s)
{
	for (; *s; s++)
		if ((*s < ' ' || *s > '~') && *s != '\n')
			return 0;
	return 1;
}

int main(void)
{
	static const char *const good[] = { "0", "-1", "12.50", "1e9", "2.5E-3", "184467440737095516150" };
	static const char *const bad[] = { "", "-", "01", "1.", ".5", "1e", "0x10", "nan", "inf",
					   "1 2", "5.00\"", "1,2", "+1" };
	char *out, bytes[256];
	int depth;

	out = capture(mixed, NULL);
	ok(strcmp(out, "{\n \"list\":[1,0.5,null,null],\n \"rows\":[\n  {\"s\":"
		       "\"q\\\"b\\\\c\\u000a\\u001b\\u00c3\\u00a9\"}\n ],\n \"empty\":[]\n}\n") == 0,
	   "commas, lines and escapes");
	free(out);
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		out = capture(number, good[i]);
		ok(strcmp(out, good[i]) == 0, "'%s' is a number", good[i]);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		out = capture(number, bad[i]);
		ok(strcmp(out, "null") == 0, "'%s' is no number: null", bad[i]);
		free(out);
	}
	/* Every byte but NUL in one string: ASCII out, each byte one escape or itself. */
	for (int i = 1; i < 256; i++)
		bytes[i - 1] = (char)i;
	bytes[255] = '\0';
	{
		struct json j;
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		json_init(&j, f);
		json_string(&j, bytes);
		fclose(f);
		ok(ascii(buf) && !strchr(buf, '\n') && len == 2 + 93 + 2 * 2 + 6 * (31 + 129),
		   "every byte escaped to ASCII (%zu bytes)", len);
		free(buf);
	}
	for (depth = JSON_MAX_DEPTH - 1; depth <= JSON_MAX_DEPTH + 3; depth++) {
		int open = 0, close = 0;

		out = capture(nested, &depth);
		for (char *p = out; *p; p++)
			open += *p == '{', close += *p == '}';
		ok(open == close && open == (depth <= JSON_MAX_DEPTH ? depth : JSON_MAX_DEPTH) &&
		   (depth <= JSON_MAX_DEPTH ? strstr(out, "true") != NULL :
		    strstr(out, "\"n\":null") != NULL), "%d deep: balanced, valid", depth);
		free(out);
	}
	return tap_done();
}
