/* test_docs.c - rcptguard.conf(5) documents exactly the keys the parser
 * accepts. Run from the top of the tree. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "tap.h"

#define MAN "docs/man/rcptguard.conf.5"
#define MAX_KEYS 256

static bool known(const char *k)
{
	for (size_t i = 0; config_key_name(i); i++)
		if (strcmp(config_key_name(i), k) == 0)
			return true;
	return false;
}

int main(void)
{
	char documented[MAX_KEYS][64], line[512];
	size_t n = 0;
	FILE *f = fopen(MAN, "r");

	if (!f) {
		printf("Bail out! cannot open " MAN "\n");
		return 1;
	}
	/* Each key is an ".It Cm key No = ..." line. */
	while (fgets(line, sizeof(line), f))
		if (n < MAX_KEYS && sscanf(line, ".It Cm %63s No =", documented[n]) == 1)
			n++;
	fclose(f);
	ok(n < MAX_KEYS, "fewer than %d keys documented (raise MAX_KEYS)", MAX_KEYS);
	for (size_t i = 0; config_key_name(i); i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found |= strcmp(documented[j], config_key_name(i)) == 0;
		ok(found, "key %s is documented in " MAN, config_key_name(i));
	}
	for (size_t j = 0; j < n; j++)
		ok(known(documented[j]), "documented key %s is accepted by the parser", documented[j]);
	return tap_done();
}
