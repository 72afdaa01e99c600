/* fuzz_qmail.c - the files recipients compile --qmail reads: rcpthosts,
 * locals, virtualdomains, smtproutes, users/assign and passwd, cut from
 * one input at "\n--\n". */
#include <sys/stat.h>
#include "fuzz.h"
#include "qmail_tree.h"

static void ignore(const char *s, void *arg) { (void)s, (void)arg; }
static void ignore2(const char *s, const char *k, void *arg) { (void)s, (void)k, (void)arg; }

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const files[] = { "control/rcpthosts", "control/locals",
					     "control/virtualdomains", "control/smtproutes",
					     "users/assign", "passwd" };
	const struct qmail_tree_out out = { ignore, ignore2, ignore, NULL };
	char dir[160], path[256], err[512], pw[256];
	const uint8_t *p = d, *end = d + n;

	snprintf(dir, sizeof(dir), "%s/qmail", fuzz_dir());
	for (const char *sub = "control"; sub; sub = strcmp(sub, "control") ? NULL : "users") {
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
		mkdir(dir, 0755);
		mkdir(path, 0755);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const uint8_t *cut = p;

		while (cut + 4 <= end && memcmp(cut, "\n--\n", 4) != 0)
			cut++;
		if (cut + 4 > end)
			cut = end;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		fuzz_file(path, p, (size_t)(cut - p));
		p = cut + 4 <= end ? cut + 4 : end;
	}
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	struct qmail_tree_opts o = { dir, pw, 0, 65000 };
	qmail_tree_read(&o, &out, err, sizeof(err));
	return 0;
}
