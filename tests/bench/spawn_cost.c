/* spawn_cost.c - the whole cost of running a program, next to another,
 * alternating between the two so that both see the same machine.
 *
 *   spawn_cost N CMD_A [ARGS...] -- CMD_B [ARGS...]
 *
 * Each is started N times (posix_spawn, stdin and stdout /dev/null, the
 * environment as given) and waited for. Prints the µs per run of each and
 * B / A. rcptguard's use: A = /bin/true, B = rcptguard-spp. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "load_util.h"

extern char **environ;

static double run(char **argv, const posix_spawn_file_actions_t *fa)
{
	double t0 = mono_now();
	int st;
	pid_t pid;

	if (posix_spawn(&pid, argv[0], fa, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "spawn_cost: cannot run %s\n", argv[0]);
		exit(1);
	}
	return mono_now() - t0;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	double ta = 0, tb = 0;
	char **b = NULL;
	long n;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			b = &argv[i + 1];
		}
	if (argc < 5 || (n = atol(argv[1])) <= 0 || !b || !*b) {
		fprintf(stderr, "usage: spawn_cost N CMD_A [ARGS...] -- CMD_B [ARGS...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (long i = 0; i < n; i++) {
		ta += run(&argv[2], &fa);
		tb += run(b, &fa);
	}
	printf("a_us=%.0f b_us=%.0f ratio=%.2f\n", ta / (double)n * 1e6, tb / (double)n * 1e6, tb / ta);
	return 0;
}
