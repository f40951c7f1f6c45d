// SPDX-License-Identifier: GPL-2.0
/*
 * hmmbench - drive device migration through lib/test_hmm.c: migrate SIZE
 * MiB of anonymous memory to the device (/dev/hmm_dmirror0) and back,
 * ROUNDS times, and report MiB/s per direction (median, min-max) and the
 * page counts the driver's ioctls return.
 *
 * One line per migration, for tests and scripts:
 *   hmmbench: round=N dir=to_dev|to_sys pages=P ns=T
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stats.h"
#include "toolutil.h"

/* lib/test_hmm_uapi.h of the tree (a kernel-internal header: copied ABI). */
struct hmm_dmirror_cmd {
	uint64_t addr;
	uint64_t ptr;
	uint64_t npages;
	uint64_t cpages;
	uint64_t faults;
};
#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_FLAGS		_IOWR('H', 0x08, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_FLAG_FAIL_ALLOC	(1ULL << 0)

static struct env {
	const char *dev;
	int mib;
	int rounds;
	bool thp;
	bool holes;
	bool fail_alloc;
	bool pin;
} env = { .dev = "/dev/hmm_dmirror0", .mib = 64, .rounds = 5 };

const char *argp_program_version = "hmmbench 0.1";
static const char doc[] =
	"Migrate anonymous memory to the test_hmm device and back; report MiB/s.\n"
	"\n"
	"One line per migration ioctl, for tests and scripts:\n"
	"  hmmbench: round=N dir=to_dev|to_sys pages=P ns=T\n"
	"(P: the pages the driver says it migrated; T: the ioctl's CLOCK_MONOTONIC time).\n"
	"\vEXAMPLES:\n"
	"    hmmbench -s 256 -r 5          # 256 MiB, 5 rounds, 4 KiB pages\n"
	"    hmmbench -s 256 --thp         # with transparent huge pages\n"
	"    hmmbench --holes              # every other page never touched\n"
	"    hmmbench --fail-alloc -r 1    # the driver fails one device page\n"
	"    hmmbench --pin -r 1           # one page held by a pipe (vmsplice)\n"
	"\n"
	"EXIT STATUS: 0 success, 1 runtime error, 2 usage error.\n";

enum { OPT_THP = 1000, OPT_HOLES, OPT_FAIL, OPT_PIN };
static const struct argp_option opts[] = {
	{ "size", 's', "MIB", 0, "MiB to migrate (default 64)", 0 },
	{ "rounds", 'r', "N", 0, "rounds (default 5)", 0 },
	{ "device", 'd', "DEV", 0, "test_hmm device (default /dev/hmm_dmirror0)", 0 },
	{ "thp", OPT_THP, NULL, 0, "back the buffer with transparent huge pages", 0 },
	{ "holes", OPT_HOLES, NULL, 0, "leave every other page untouched (holes)", 0 },
	{ "fail-alloc", OPT_FAIL, NULL, 0,
	  "make the driver fail one device page per migration to the device", 0 },
	{ "pin", OPT_PIN, NULL, 0,
	  "hold an extra reference on the first page (vmsplice into a pipe) so it cannot move", 0 },
	TOOL_HELP_OPTION,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 's':
		if (tool_parse_int(arg, 1, 65536, &env.mib))
			argp_error(state, "invalid size: %s (1..65536 MiB)", arg);
		break;
	case 'r':
		if (tool_parse_int(arg, 1, 100000, &env.rounds))
			argp_error(state, "invalid rounds: %s", arg);
		break;
	case 'd':
		env.dev = arg;
		break;
	case OPT_THP:
		env.thp = true;
		break;
	case OPT_HOLES:
		env.holes = true;
		break;
	case OPT_FAIL:
		env.fail_alloc = true;
		break;
	case OPT_PIN:
		env.pin = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

static void report(const char *dir, double *mibs, int n)
{
	double med = pm_median(mibs, (size_t)n);	/* sorts */

	printf("%-7s %9.1f MiB/s median, %.1f-%.1f over %d rounds\n", dir, med, mibs[0],
	       mibs[n - 1], n);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	size_t size, page = (size_t)sysconf(_SC_PAGESIZE), off;
	uint64_t total[2] = { 0, 0 };
	double *mibs[2];
	char *buf, *ptr, *mirror;
	int fd, r, d, pin[2] = { -1, -1 };

	tool_argp_parse(&argp, argc, argv, TOOL_EXIT_USAGE, NULL);
	size = (size_t)env.mib << 20;
	fd = open(env.dev, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "hmmbench: cannot open %s: %s (is CONFIG_TEST_HMM built in or "
			"test_hmm loaded?)\n", env.dev, strerror(errno));
		return 1;
	}
	/* 2 MiB-aligned, so that THP can back all of it. */
	ptr = mmap(NULL, size + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	/* The driver copies what it migrated back into this, for checking. */
	mirror = malloc(size);
	mibs[0] = calloc(env.rounds, sizeof(double));
	mibs[1] = calloc(env.rounds, sizeof(double));
	if (ptr == MAP_FAILED || !mirror || !mibs[0] || !mibs[1]) {
		fprintf(stderr, "hmmbench: cannot allocate %d MiB: %s\n", env.mib, strerror(errno));
		return 1;
	}
	buf = (char *)(((uintptr_t)ptr + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	if (madvise(buf, size, env.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		fprintf(stderr, "hmmbench: madvise: %s\n", strerror(errno));
		return 1;
	}
	for (r = 0; r < env.rounds; r++) {
		/* Fresh contents every round; holes stay untouched. */
		if (env.holes)
			madvise(buf, size, MADV_DONTNEED);
		for (off = 0; off < size; off += page)
			if (!env.holes || !((off / page) & 1))
				buf[off] = (char)(r + off / page);
		/*
		 * vmsplice() makes the pipe hold a reference on the page until it
		 * is read: migration sees a reference beyond the mappings.
		 */
		if (env.pin) {
			struct iovec iov = { .iov_base = buf, .iov_len = page };

			if (pin[0] >= 0) {
				close(pin[0]);
				close(pin[1]);
			}
			if (pipe(pin) || vmsplice(pin[1], &iov, 1, 0) != (ssize_t)page) {
				fprintf(stderr, "hmmbench: vmsplice: %s\n", strerror(errno));
				return 1;
			}
		}
		for (d = 0; d < 2; d++) {
			struct hmm_dmirror_cmd cmd = { .addr = (uintptr_t)buf, .ptr = (uintptr_t)mirror,
						       .npages = size / page };
			unsigned long req = d ? HMM_DMIRROR_MIGRATE_TO_SYS : HMM_DMIRROR_MIGRATE_TO_DEV;
			uint64_t t0;

			if (!d && env.fail_alloc) {
				struct hmm_dmirror_cmd f = { .npages = HMM_DMIRROR_FLAG_FAIL_ALLOC };

				if (ioctl(fd, HMM_DMIRROR_FLAGS, &f)) {
					fprintf(stderr, "hmmbench: HMM_DMIRROR_FLAGS: %s\n", strerror(errno));
					return 1;
				}
			}
			t0 = tool_now_ns();
			if (ioctl(fd, req, &cmd)) {
				/*
				 * With a failed allocation the driver's read-back finds
				 * one page not on the device: expected, count unknown.
				 */
				if (!d && (env.fail_alloc || env.pin) && errno == ENOENT) {
					printf("hmmbench: round=%d dir=to_dev pages=unknown "
					       "(one page stayed in system memory, as asked)\n", r + 1);
					mibs[d][r] = 0;
					continue;
				}
				fprintf(stderr, "hmmbench: migrate %s: %s\n", d ? "to system" : "to device",
					strerror(errno));
				return 1;
			}
			t0 = tool_now_ns() - t0;
			total[d] += cmd.cpages;
			mibs[d][r] = (double)size / (1 << 20) / ((double)t0 / 1e9);
			printf("hmmbench: round=%d dir=%s pages=%llu ns=%llu\n", r + 1,
			       d ? "to_sys" : "to_dev", (unsigned long long)cmd.cpages,
			       (unsigned long long)t0);
		}
	}
	printf("hmmbench: %d MiB, %s pages%s%s%s, %d rounds\n", env.mib, env.thp ? "THP" : "4 KiB",
	       env.holes ? ", holes" : "", env.fail_alloc ? ", fail-alloc" : "",
	       env.pin ? ", one page pinned" : "", env.rounds);
	report("to_dev", mibs[0], env.rounds);
	report("to_sys", mibs[1], env.rounds);
	printf("hmmbench: pages migrated: to_dev %llu, to_sys %llu\n",
	       (unsigned long long)total[0], (unsigned long long)total[1]);
	return 0;
}
