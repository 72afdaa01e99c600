/* test_lapi_machine.c - the machine credentials YAML: what cscli writes,
 * quoting, comments, CRLF; and hostile files (missing keys, duplicates,
 * overlong or control-character values, NULs, random bytes) refused with
 * a reason, never overrunning a field. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lapi_machine.h"
#include "tap.h"

static int parse(const char *t, struct lapi_machine *m, char *err)
{
	return lapi_machine_parse(t, strlen(t), m, err, 128);
}

int main(void)
{
	struct lapi_machine m;
	char err[128], buf[4096];
	static const char *const bad[] = {
		"url: http://x/\nlogin: a\n",                                   /* no password */
		"url: http://x/\nlogin: a\nlogin: b\npassword: p\n",            /* twice */
		"url: ftp://x/\nlogin: a\npassword: p\n",
		"url: http://x/\nlogin: 'a\npassword: p\n",                     /* open quote */
		"url: http://x/\nlogin: \"a\\\"b\"\npassword: p\n",             /* escapes */
		"url: http://x/\nlogin: a\x01\npassword: p\n",
		"url: http://x/\nlogin: 'a' b\npassword: p\n",
		"",
	};
	bool all = true;

	ok(parse("url: http://10.0.0.1:8080/\nlogin: mx1\npassword: s3cret\n", &m, err) == 0 &&
	   !strcmp(m.url, "http://10.0.0.1:8080/") && !strcmp(m.login, "mx1") &&
	   !strcmp(m.password, "s3cret"), "what cscli machines add -f writes");
	ok(parse("# made by hand\r\nurl: \"https://lapi.example/\"\r\nlogin: 'o''brien'  # me\r\n"
		 "password: a#b c # comment\r\nextra:\n  - nested: x\n", &m, err) == 0 &&
	   !strcmp(m.url, "https://lapi.example/") && !strcmp(m.login, "o'brien") &&
	   !strcmp(m.password, "a#b c"), "quotes, comments, CRLF, unknown keys ignored");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool r = parse(bad[i], &m, err) < 0 && *err;

		if (!r)
			printf("# accepted bad case %zu\n", i);
		all &= r;
	}
	ok(all, "missing, doubled, unquoted-wrong, escaped, control characters: refused with why");
	snprintf(buf, sizeof(buf), "url: http://x/\nlogin: a\npassword: %0300d\n", 7);
	ok(parse(buf, &m, err) < 0 && strstr(err, "password"), "an overlong password: %s", err);
	ok(lapi_machine_parse("url: http://x/\nlogin: a\0b\npassword: p\n", 36, &m, err, 128) < 0,
	   "a NUL inside a value is refused");
	/* Random mutations of a good file: never a crash or an unterminated field. */
	static const char good[] = "url: http://10.0.0.1:8080/\nlogin: 'mx1'\npassword: \"pw\"\n";
	srand(3);
	all = true;
	for (int i = 0; i < 200000; i++) {
		size_t n = sizeof(good) - 1;

		memcpy(buf, good, n);
		for (int k = rand() % 3; k >= 0; k--)
			buf[rand() % (int)n] = (char)(rand() % 256);
		n = (size_t)rand() % (n + 1);
		memset(&m, 'x', sizeof(m));
		if (lapi_machine_parse(buf, n, &m, err, sizeof(err)) == 0)
			all &= memchr(m.url, 0, sizeof(m.url)) && memchr(m.login, 0, sizeof(m.login)) &&
			       memchr(m.password, 0, sizeof(m.password)) && *m.login && *m.password;
	}
	ok(all, "200000 mutated files: accepted ones are whole and terminated");
	ok(lapi_machine_read("/nonexistent/m.yaml", &m, err, sizeof(err)) < 0 &&
	   strstr(err, "crowdsec_machine_file /nonexistent/m.yaml"), "a missing file names the key: %s",
	   err);
	return tap_done();
}
