// SPDX-License-Identifier: GPL-2.0
/*
 * hmmbench - drive device migration through lib/test_hmm.c: migrate SIZE
 * MiB of anonymous memory to the device (/dev/hmm_dmirror0) and back,
 * ROUNDS times, and report MiB/s per direction (median, min-max) and the
 * page counts the driver's ioctls return.
 *
 * One line per migration, for tests and scripts:
 *   hmmbench: round=N dir=to_dev|to_sys pages=P ns=T
 *
 * With --account, hmmbench also tells from the driver's page-table
 * snapshots (HMM_DMIRROR_SNAPSHOT, one state per 4 KiB page, taken before
 * and after each migration) which pages moved, and sorts those that did
 * not by what it did to them: one line per migration and a total per
 * direction,
 *   hmmbench: account [round=N dev=D|total] dir=DIR requested=R moved=M
 *             pinned=P hole=H system=S remote=O other=X thp=T
 * pinned: the page it holds in a pipe (all of its huge page, if huge);
 * hole: pages with nothing mapped; system: pages in system memory when
 * moving to system (zero pages too); remote: pages on the other device;
 * file: pages of a --file mapping; other: the rest (--fail-alloc); thp:
 * pages PMD-mapped before the migration.
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
#define HMM_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_FLAGS		_IOWR('H', 0x08, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_FLAG_FAIL_ALLOC	(1ULL << 0)
#define HMM_DMIRROR_PROT_ERROR		0xff
#define HMM_DMIRROR_PROT_PMD		0x04
#define HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL 0x20
#define PROT_TYPE(p)			((p) & 0xf0)	/* the rest: R/W, PMD, PUD */
#define HUGE_NR				512		/* x86-64 pages per PMD */

static struct env {
	const char *dev;
	int mib;
	int rounds;
	bool thp;
	bool holes;
	bool fail_alloc;
	bool pin;
	bool account;
	bool zero;
	bool holes_back;
	const char *other;
	const char *file;
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
	"    hmmbench --account --thp --pin -r 1   # which pages moved, and why not\n"
	"    hmmbench --account --other-device /dev/hmm_dmirror1 -s 8 -r 1\n"
	"\n"
	"EXIT STATUS: 0 success, 1 runtime error, 2 usage error.\n";

enum { OPT_THP = 1000, OPT_HOLES, OPT_FAIL, OPT_PIN, OPT_ACCOUNT, OPT_ZERO, OPT_OTHER,
       OPT_HOLES_BACK, OPT_FILE };
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
	{ "account", OPT_ACCOUNT, NULL, 0,
	  "count the pages that moved and those that did not, from the driver's snapshots", 0 },
	{ "zero", OPT_ZERO, NULL, 0,
	  "before moving back, make every other page the zero page (read after MADV_DONTNEED)", 0 },
	{ "holes-back", OPT_HOLES_BACK, NULL, 0,
	  "before moving back, drop every other page (MADV_DONTNEED): holes", 0 },
	{ "file", OPT_FILE, "DIR", 0,
	  "map a file created in DIR (MAP_SHARED) instead of anonymous memory", 0 },
	{ "other-device", OPT_OTHER, "DEV", 0,
	  "first move the last 2 MiB to test_hmm device DEV (another owner); needs -s 4 or more", 0 },
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
	case OPT_ACCOUNT:
		env.account = true;
		break;
	case OPT_ZERO:
		env.zero = true;
		break;
	case OPT_OTHER:
		env.other = arg;
		break;
	case OPT_HOLES_BACK:
		env.holes_back = true;
		break;
	case OPT_FILE:
		env.file = arg;
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

/* Where a page is, from the snapshots of this device and the other one. */
enum pstate { PS_HOLE, PS_SYSTEM, PS_DEVICE, PS_REMOTE };

enum { A_REQUESTED, A_MOVED, A_PINNED, A_HOLE, A_SYSTEM, A_REMOTE, A_FILE, A_OTHER, A_THP,
       A_NR };
static const char *const acct_names[A_NR] = { "requested", "moved", "pinned", "hole",
					      "system", "remote", "file", "other", "thp" };
static uint64_t acct_total[2][A_NR];
static const char *const dir_names[2] = { "to_dev", "to_sys" };

static int snapshot_fd(int fd, char *addr, size_t npages, unsigned char *perm)
{
	struct hmm_dmirror_cmd cmd = { .addr = (uintptr_t)addr, .ptr = (uintptr_t)perm,
				       .npages = npages };

	if (ioctl(fd, HMM_DMIRROR_SNAPSHOT, &cmd)) {
		fprintf(stderr, "hmmbench: HMM_DMIRROR_SNAPSHOT: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* State of each page seen from device @fd; @other (or -1) is the other device. */
static int snapshot(int fd, int other, char *addr, size_t npages, unsigned char *st,
		    unsigned char *pmd, unsigned char *tmp)
{
	size_t i;

	if (snapshot_fd(fd, addr, npages, tmp))
		return -1;
	for (i = 0; i < npages; i++) {
		unsigned char p = tmp[i];

		pmd[i] = p != HMM_DMIRROR_PROT_ERROR && (p & HMM_DMIRROR_PROT_PMD);
		if (p != HMM_DMIRROR_PROT_ERROR && PROT_TYPE(p) == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL)
			st[i] = PS_DEVICE;
		else if (p == 0 || p == HMM_DMIRROR_PROT_ERROR)
			st[i] = PS_HOLE;	/* nothing mapped: or on another device */
		else
			st[i] = PS_SYSTEM;
	}
	if (other < 0)
		return 0;
	if (snapshot_fd(other, addr, npages, tmp))
		return -1;
	for (i = 0; i < npages; i++)
		if (tmp[i] != HMM_DMIRROR_PROT_ERROR &&
		    PROT_TYPE(tmp[i]) == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL)
			st[i] = PS_REMOTE;
	return 0;
}

struct acct_buf {
	unsigned char *before, *after, *pmd, *pmd_after, *tmp;
};

/*
 * Sort the pages of one migration (direction @d) by the snapshots before
 * and after it; @pinned is the index of the page held in a pipe, or -1.
 */
static void account(const struct acct_buf *b, size_t npages, int d, long pinned, int round,
		    int devno)
{
	uint64_t a[A_NR] = { 0 };
	size_t i, pin_lo = 1, pin_hi = 0;
	int k;

	if (pinned >= 0) {
		pin_lo = b->pmd[pinned] ? pinned & ~(size_t)(HUGE_NR - 1) : (size_t)pinned;
		pin_hi = b->pmd[pinned] ? pin_lo + HUGE_NR - 1 : pin_lo;
	}
	for (i = 0; i < npages; i++) {
		unsigned char was = b->before[i], is = b->after[i];

		a[A_REQUESTED]++;
		a[A_THP] += b->pmd[i];
		if (d == 0 ? (was != PS_DEVICE && is == PS_DEVICE) :
			     (was == PS_DEVICE && is != PS_DEVICE))
			a[A_MOVED]++;
		else if (d == 0 && i >= pin_lo && i <= pin_hi)
			a[A_PINNED]++;
		else if (was == PS_HOLE)
			a[A_HOLE]++;
		else if (was == PS_REMOTE || (d == 0 && was == PS_DEVICE))
			a[A_REMOTE]++;
		else if (d == 1 && was == PS_SYSTEM)
			a[A_SYSTEM]++;
		else if (env.file)
			a[A_FILE]++;
		else
			a[A_OTHER]++;
	}
	printf("hmmbench: account round=%d dev=%d dir=%s", round, devno, dir_names[d]);
	for (k = 0; k < A_NR; k++) {
		printf(" %s=%llu", acct_names[k], (unsigned long long)a[k]);
		acct_total[d][k] += a[k];
	}
	printf("\n");
}

static void account_totals(void)
{
	int d, k;

	for (d = 0; d < 2; d++) {
		printf("hmmbench: account total dir=%s", dir_names[d]);
		for (k = 0; k < A_NR; k++)
			printf(" %s=%llu", acct_names[k], (unsigned long long)acct_total[d][k]);
		printf("\n");
	}
}

/*
 * One migration through device @fd, accounted: what --other-device does
 * around each round on the other device.  ENOENT from moving to a device
 * is the driver's read-back finding pages that did not come: the
 * snapshots say which.
 */
static int migrate_accounted(int fd, int other, int d, char *addr, size_t npages, char *mirror,
			     const struct acct_buf *b, long pinned, int round, int devno)
{
	struct hmm_dmirror_cmd cmd = { .addr = (uintptr_t)addr, .ptr = (uintptr_t)mirror,
				       .npages = npages };

	if (snapshot(fd, other, addr, npages, b->before, b->pmd, b->tmp))
		return -1;
	if (ioctl(fd, d ? HMM_DMIRROR_MIGRATE_TO_SYS : HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) &&
	    (d || errno != ENOENT)) {
		fprintf(stderr, "hmmbench: migrate %s (device %d): %s\n", dir_names[d], devno,
			strerror(errno));
		return -1;
	}
	if (snapshot(fd, other, addr, npages, b->after, b->pmd_after, b->tmp))
		return -1;
	account(b, npages, d, pinned, round, devno);
	return 0;
}

/*
 * --zero, --holes-back: every other page is dropped, and read again to map
 * the zero page (@zero) or left a hole.
 */
static void drop_pages(char *buf, size_t size, size_t page, bool zero)
{
	size_t off;

	for (off = page; off < size; off += 2 * page) {
		madvise(buf + off, page, MADV_DONTNEED);
		if (zero)
			(void)*(volatile char *)(buf + off);
	}
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	size_t size, page = (size_t)sysconf(_SC_PAGESIZE), off;
	uint64_t total[2] = { 0, 0 };
	double *mibs[2];
	char *buf, *ptr, *mirror, *remote = NULL;
	int fd, fd1 = -1, r, d, pin[2] = { -1, -1 };
	struct acct_buf ab = { 0 };
	size_t npages, remote_n = (2 << 20) / page;

	tool_argp_parse(&argp, argc, argv, TOOL_EXIT_USAGE, NULL);
	size = (size_t)env.mib << 20;
	npages = size / page;
	if (env.zero || env.holes_back || env.other || env.file)
		env.account = true;
	if (env.other && env.mib < 4) {
		fprintf(stderr, "hmmbench: --other-device needs -s 4 or more\n");
		return 2;
	}
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
	if (env.file) {
		/* A page-cache (shmem, on tmpfs) mapping: not anonymous memory. */
		char path[4096];
		int ffd;

		snprintf(path, sizeof(path), "%s/hmmbench.XXXXXX", env.file);
		ffd = mkstemp(path);
		if (ffd < 0 || unlink(path) || ftruncate(ffd, (off_t)size) ||
		    mmap(buf, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ffd, 0) !=
		    buf) {
			fprintf(stderr, "hmmbench: cannot map a file in %s: %s\n", env.file,
				strerror(errno));
			return 1;
		}
		close(ffd);
	}
	if (madvise(buf, size, env.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		fprintf(stderr, "hmmbench: madvise: %s\n", strerror(errno));
		return 1;
	}
	if (env.account) {
		ab.before = malloc(npages);
		ab.after = malloc(npages);
		ab.pmd = malloc(npages);
		ab.pmd_after = malloc(npages);
		ab.tmp = malloc(npages);
		if (!ab.before || !ab.after || !ab.pmd || !ab.pmd_after || !ab.tmp) {
			fprintf(stderr, "hmmbench: out of memory\n");
			return 1;
		}
	}
	if (env.other) {
		fd1 = open(env.other, O_RDWR);
		if (fd1 < 0) {
			fprintf(stderr, "hmmbench: cannot open %s: %s\n", env.other, strerror(errno));
			return 1;
		}
		/* The last 2 MiB-aligned 2 MiB of the buffer. */
		remote = buf + ((size - (2 << 20)) & ~(size_t)((2 << 20) - 1));
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
		if (env.other && migrate_accounted(fd1, fd, 0, remote, remote_n, mirror, &ab, -1,
						   r + 1, 1))
			return 1;
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
			if (env.account && snapshot(fd, fd1, buf, npages, ab.before, ab.pmd, ab.tmp))
				return 1;
			t0 = tool_now_ns();
			if (ioctl(fd, req, &cmd)) {
				/*
				 * With a failed allocation the driver's read-back finds
				 * one page not on the device: expected, count unknown.
				 */
				if (!d && (env.fail_alloc || env.pin || env.account) && errno == ENOENT) {
					printf("hmmbench: round=%d dir=to_dev pages=unknown "
					       "(pages stayed in system memory, as asked)\n", r + 1);
					mibs[d][r] = 0;
				} else {
					fprintf(stderr, "hmmbench: migrate %s: %s\n",
						d ? "to system" : "to device", strerror(errno));
					return 1;
				}
			} else {
				t0 = tool_now_ns() - t0;
				total[d] += cmd.cpages;
				mibs[d][r] = (double)size / (1 << 20) / ((double)t0 / 1e9);
				printf("hmmbench: round=%d dir=%s pages=%llu ns=%llu\n", r + 1,
				       d ? "to_sys" : "to_dev", (unsigned long long)cmd.cpages,
				       (unsigned long long)t0);
			}
			if (env.account) {
				if (snapshot(fd, fd1, buf, npages, ab.after, ab.pmd_after, ab.tmp))
					return 1;
				account(&ab, npages, d, env.pin ? 0 : -1, r + 1, 0);
			}
			if (!d && (env.zero || env.holes_back))
				drop_pages(buf, size, page, env.zero);
		}
		if (env.other && migrate_accounted(fd1, fd, 1, remote, remote_n, mirror, &ab, -1,
						   r + 1, 1))
			return 1;
	}
	printf("hmmbench: %d MiB, %s pages%s%s%s, %d rounds\n", env.mib, env.thp ? "THP" : "4 KiB",
	       env.holes ? ", holes" : "", env.fail_alloc ? ", fail-alloc" : "",
	       env.pin ? ", one page pinned" : "", env.rounds);
	report("to_dev", mibs[0], env.rounds);
	report("to_sys", mibs[1], env.rounds);
	printf("hmmbench: pages migrated: to_dev %llu, to_sys %llu\n",
	       (unsigned long long)total[0], (unsigned long long)total[1]);
	if (env.account)
		account_totals();
	return 0;
}
