// SPDX-License-Identifier: GPL-2.0
/*
 * zsstress - drive zsmalloc through zram while its pages are forced to
 * migrate, and verify every read.
 *
 * N threads write, overwrite, discard (BLKDISCARD) and read back 4 KiB
 * pages of a zram device with O_DIRECT.  Each page is one of four kinds,
 * so that zsmalloc uses many size classes and zram all of its paths:
 *   random  incompressible (zram stores it whole: huge class),
 *   text    highly compressible (small classes),
 *   mid     a random prefix of 64..3063 bytes, zeros after (classes in
 *           between),
 *   same    one 8-byte word repeated (zram keeps no zsmalloc object).
 * Every written page (but "same") starts with a header: magic, page id,
 * generation, kind, a checksum of the rest; "same" pages repeat a word made
 * of the id and the generation.  Threads own disjoint pages and keep, per
 * page, the generation and kind last written (0: never written or
 * discarded: must read as zeros).  Every read is compared with the page
 * regenerated from (id, generation, kind): any difference is a
 * verification failure, reported with the page and what was found.
 *
 * Meanwhile one thread forces zspage migration: it offlines each online
 * ZONE_MOVABLE memory block and onlines it again (memory offlining
 * migrates every movable page in the block, zspages included), writes
 * /proc/sys/vm/compact_memory and the device's zram compact file.
 *
 * With --zswap the pages are those of an anonymous mapping instead, and
 * zswap's pool holds them: each write and each read is followed by
 * MADV_PAGEOUT of that page (reclaim swaps it out, and zswap compresses it
 * into zsmalloc on the way), every read faults it back in through zswap,
 * a discard is MADV_DONTNEED (zswap frees the object).  zswap must be
 * enabled and a swap device active; the closing lines count zswpout and
 * zswpin, and pswpout, the pages that went past zswap to the device.
 */
#include <argp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"
#include "toolutil.h"

/*
 * ZS_PLANT=N (tests/vm/zsstress-plant.sh only, never in build/bin): a bug
 * planted in the --zswap path, which tests/vm/zsstress.sh's zswap mode must
 * catch: 1 no page is swapped out (MADV_PAGEOUT skipped), 2 zswap being
 * off is not refused.
 */
#ifndef ZS_PLANT
#define ZS_PLANT 0
#endif

#define PAGE		4096
#define MAGIC		0x5a535354u	/* "ZSST" */
#define MAX_THREADS	64
#define MAX_REPORTED	20		/* failures printed in full */
#define MEMORY_DIR	"/sys/devices/system/memory"
#define ZRAM_CONTROL	"/sys/class/zram-control"
#define ZSWAP_ENABLED	"/sys/module/zswap/parameters/enabled"

enum kind { K_NONE, K_RANDOM, K_TEXT, K_MID, K_SAME, K_NR };
static const char *const kind_names[K_NR] = { "zero", "random", "text", "mid", "same" };

enum { F_OFFLINE = 1, F_COMPACT = 2, F_ZRAM_COMPACT = 4 };

static struct env {
	const char *device;
	int size_mib;
	int pages;
	int threads;
	int seconds;
	int interval_ms;
	int force;
	int inject;
	int seed;
	int reads;		/* % of mixed-phase operations that read */
	int kinds;		/* bit mask of the kinds written (1 << K_*) */
	int hot;		/* 9 of 10 reads go to the first HOT pages */
	bool verbose;
	bool zswap;		/* pages of a mapping, swapped out through zswap */
	bool force_given;	/* -F on the command line */
} env = { .size_mib = 64, .threads = 4, .seconds = 10, .interval_ms = 100,
	  .force = F_OFFLINE | F_COMPACT | F_ZRAM_COMPACT, .seed = 1,
	  .reads = 50, .kinds = (1 << K_NR) - 2 };

const char *argp_program_version = "zsstress 0.1";
static const char doc[] =
	"Stress zsmalloc through zram while forcing zspage migration; verify every read.\n"
	"\n"
	"Threads write, overwrite, discard and read back pages of four kinds (random,\n"
	"text, mid, same-filled), each carrying its id, generation and a checksum; one\n"
	"thread offlines and re-onlines ZONE_MOVABLE memory blocks and writes\n"
	"compact_memory and the zram compact file.  Without -d, a zram device is\n"
	"hot-added for the run and removed after it.  With --zswap the pages are an\n"
	"anonymous mapping's instead, each swapped out through zswap (MADV_PAGEOUT)\n"
	"after it is written or read: zswap must be on and a swap device active.\n"
	"\n"
	"Closing line, for scripts:\n"
	"  zsstress: ops N ops_per_s X bytes N migrations N verified N verify_failures N\n"
	"(ops, ops/s, bytes: the mixed phase, after the first fill and before the final\n"
	"read of every page; verified: every read, all phases; migrations: /proc/vmstat\n"
	"pgmigrate_success during the run, pages of every kind, not only zspages).\n"
	"\vEXAMPLES:\n"
	"    zsstress                         # 64 MiB zram, 4 threads, 10 s, all forcing\n"
	"    zsstress -t 2 -s 30 -S 32        # 2 threads, 30 s, 32 MiB device\n"
	"    zsstress -d /dev/zram0 -F compact   # a zram device set up already\n"
	"    zsstress -F none -s 5            # no forced migration\n"
	"    zsstress -F offline -i 0         # offline blocks back to back\n"
	"    zsstress -S 8 --reads 90 --kinds text   # few zspages, many objects each\n"
	"    zsstress --hot 64                # most reads on 64 pages: a few zspages\n"
	"    truncate -s 8M f; zsstress -d f -F none   # a file: no root needed\n"
	"    zsstress --inject 1 -F none      # one corrupt page: must exit 1\n"
	"    echo Y > /sys/module/zswap/parameters/enabled; swapon /dev/loop0\n"
	"    zsstress --zswap -S 16 -F offline    # zswap's pool, not zram's\n"
	"\n"
	"EXIT STATUS: 0 every read verified, 1 a verification failure or a runtime\n"
	"error, 2 usage error.\n";

enum { OPT_INJECT = 1000, OPT_SEED, OPT_READS, OPT_KINDS, OPT_HOT, OPT_ZSWAP };
static const struct argp_option opts[] = {
	{ "device", 'd', "DEV", 0,
	  "block device or file to use (default: hot-add a zram device for the run)", 0 },
	{ "size", 'S', "MIB", 0,
	  "size of the hot-added zram device, or of the --zswap mapping (default 64)", 0 },
	{ "zswap", OPT_ZSWAP, NULL, 0,
	  "pages of an anonymous mapping, swapped out through zswap after each write and read", 0 },
	{ "pages", 'n', "N", 0, "pages used (default: all of the device)", 0 },
	{ "threads", 't', "N", 0, "I/O threads (default 4)", 0 },
	{ "seconds", 's', "SEC", 0, "run time after the first fill (default 10)", 0 },
	{ "force", 'F', "LIST", 0,
	  "migration forcing, comma-separated: offline, compact, zram-compact, all (default), none",
	  0 },
	{ "interval", 'i', "MS", 0, "pause between forcing rounds (default 100)", 0 },
	{ "inject", OPT_INJECT, "N", 0,
	  "write N pages with a flipped byte behind the model's back (tests the verification: "
	  "the run must fail)", 0 },
	{ "seed", OPT_SEED, "N", 0, "random seed (default 1)", 0 },
	{ "kinds", OPT_KINDS, "LIST", 0,
	  "kinds of page written, comma-separated: random, text, mid, same (default all)", 0 },
	{ "hot", OPT_HOT, "N", 0,
	  "9 of 10 reads go to the first N pages of the device (each thread: its own among "
	  "them), so that a few zspages are read all the time", 0 },
	{ "reads", OPT_READS, "PCT", 0,
	  "percent of mixed-phase operations that read (default 50; of the rest, 1 in 10 "
	  "discards, the others write)", 0 },
	{ "verbose", 'v', NULL, 0, "say what the forcing thread does", 0 },
	TOOL_HELP_OPTION,
	{},
};

static int parse_force(const char *arg)
{
	char buf[128], *tok, *save = NULL;
	int f = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "offline"))
			f |= F_OFFLINE;
		else if (!strcmp(tok, "compact"))
			f |= F_COMPACT;
		else if (!strcmp(tok, "zram-compact"))
			f |= F_ZRAM_COMPACT;
		else if (!strcmp(tok, "all"))
			f |= F_OFFLINE | F_COMPACT | F_ZRAM_COMPACT;
		else if (strcmp(tok, "none"))
			return -1;
	}
	return f;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'd':
		env.device = arg;
		break;
	case 'S':
		if (tool_parse_int(arg, 1, 1 << 20, &env.size_mib))
			argp_error(state, "invalid size: %s", arg);
		break;
	case 'n':
		if (tool_parse_int(arg, 1, 1 << 28, &env.pages))
			argp_error(state, "invalid page count: %s", arg);
		break;
	case 't':
		if (tool_parse_int(arg, 1, MAX_THREADS, &env.threads))
			argp_error(state, "invalid thread count: %s (1..%d)", arg, MAX_THREADS);
		break;
	case 's':
		if (tool_parse_int(arg, 0, 1 << 20, &env.seconds))
			argp_error(state, "invalid seconds: %s", arg);
		break;
	case 'i':
		if (tool_parse_int(arg, 0, 1 << 20, &env.interval_ms))
			argp_error(state, "invalid interval: %s", arg);
		break;
	case 'F':
		env.force = parse_force(arg);
		env.force_given = true;
		if (env.force < 0)
			argp_error(state, "invalid forcing list: %s", arg);
		break;
	case OPT_INJECT:
		if (tool_parse_int(arg, 0, 1 << 20, &env.inject))
			argp_error(state, "invalid inject count: %s", arg);
		break;
	case OPT_SEED:
		if (tool_parse_int(arg, 0, 1 << 30, &env.seed))
			argp_error(state, "invalid seed: %s", arg);
		break;
	case OPT_KINDS: {
		char buf[128], *tok, *save = NULL;
		int k;

		env.kinds = 0;
		if (strlen(arg) >= sizeof(buf))
			argp_error(state, "invalid kinds: %s", arg);
		strcpy(buf, arg);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			for (k = K_RANDOM; k < K_NR && strcmp(tok, kind_names[k]); k++)
				;
			if (k == K_NR)
				argp_error(state, "invalid kind: %s (random, text, mid, same)", tok);
			env.kinds |= 1 << k;
		}
		if (!env.kinds)
			argp_error(state, "no kind in: %s", arg);
		break;
	}
	case OPT_HOT:
		if (tool_parse_int(arg, 0, 1 << 28, &env.hot))
			argp_error(state, "invalid hot page count: %s", arg);
		break;
	case OPT_READS:
		if (tool_parse_int(arg, 0, 100, &env.reads))
			argp_error(state, "invalid read percentage: %s", arg);
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_ZSWAP:
		env.zswap = true;
		break;
	case ARGP_KEY_END:
		if (env.zswap && env.device)
			argp_error(state, "--zswap and -d: the pages are a mapping's, not a device's");
		if (env.zswap && env.force_given && (env.force & F_ZRAM_COMPACT))
			argp_error(state, "--zswap: no zram device to compact (-F offline,compact)");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

/* ---- page contents ------------------------------------------------------ */

struct header {
	uint32_t magic, id, gen, kind;
	uint32_t len;		/* bytes of payload that are not zero (mid) */
	uint32_t sum;		/* FNV-1a of the page after the header */
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static uint64_t same_word(uint32_t id, uint32_t gen)
{
	return ((uint64_t)id << 32 | gen) ^ 0x5a5a000000000000ULL;
}

/* The page (id, gen, kind) is, byte for byte: */
static void make_page(unsigned char *p, uint32_t id, uint32_t gen, enum kind k)
{
	uint64_t s = ((uint64_t)id << 32 | gen) ^ ((uint64_t)(unsigned)env.seed << 17), w;
	struct header h = { MAGIC, id, gen, k, 0, 0 };
	size_t i, len = PAGE - sizeof(h);
	unsigned char *pl = p + sizeof(h);

	switch (k) {
	case K_NONE:
		memset(p, 0, PAGE);
		return;
	case K_SAME:
		w = same_word(id, gen);
		for (i = 0; i < PAGE; i += 8)
			memcpy(p + i, &w, 8);
		return;
	case K_RANDOM:
		for (i = 0; i < len; i += 8) {
			w = splitmix(&s);
			memcpy(pl + i, &w, len - i < 8 ? len - i : 8);
		}
		h.len = len;
		break;
	case K_TEXT: {
		static const char words[] = "the zspage moved while zs_malloc ran on another cpu ";
		size_t off = splitmix(&s) % (sizeof(words) - 1);

		for (i = 0; i < len; i++)
			pl[i] = words[(off + i) % (sizeof(words) - 1)];
		h.len = len;
		break;
	}
	case K_MID:
		h.len = 64 + (splitmix(&s) % 3000);
		for (i = 0; i < h.len; i += 8) {
			w = splitmix(&s);
			memcpy(pl + i, &w, h.len - i < 8 ? h.len - i : 8);
		}
		memset(pl + h.len, 0, len - h.len);
		break;
	default:
		break;
	}
	h.sum = fnv1a(pl, len);
	memcpy(p, &h, sizeof(h));
}

/* ---- shared state ------------------------------------------------------- */

struct page_state {
	uint32_t gen;		/* last generation written; 0 with K_NONE */
	uint8_t kind;
};

static struct page_state *pages;
static int dev_fd = -1;
static unsigned char *map;	/* --zswap: the pages */
static bool dev_is_blk;
static char zram_name[32];	/* "zramN" when the device is a zram device */
static int zram_added = -1;	/* its id if we hot-added it */
static size_t npages;
static atomic_bool stop_io, stop_force;
static atomic_ullong nfailures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

struct thread {
	pthread_t tid;
	int idx;
	uint64_t rng;
	unsigned char *buf, *want;
	uint64_t writes, reads, discards, verified, failures, errors;
	uint64_t mixed, mixed_bytes;	/* operations of the mixed phase */
	uint64_t kinds[K_NR];
	uint64_t bytes_w, bytes_r;
};

struct force_stats {
	uint64_t rounds, offlined, offline_refused, online_failed, compact, zram_compact, errors;
	int blocks;
};

/* ---- small file helpers ------------------------------------------------ */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	return 0;
}

/* /proc/vmstat KEY, or 0 if absent. */
static uint64_t vmstat(const char *key)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char k[64];
	unsigned long long v, r = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key)) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

/* Field @idx (0-based) of /sys/block/NAME/mm_stat, 0 if unreadable. */
static uint64_t mm_stat(int idx)
{
	char path[96], buf[512], *p, *end;
	unsigned long long v = 0;
	int i;

	if (!zram_name[0])
		return 0;
	snprintf(path, sizeof(path), "/sys/block/%s/mm_stat", zram_name);
	if (read_str(path, buf, sizeof(buf)))
		return 0;
	p = buf;
	for (i = 0; i <= idx; i++) {
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno)
			return 0;
		p = end;
	}
	return v;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !tool_exiting)
		;
}

/* ---- the device --------------------------------------------------------- */

/* Retry a sysfs write that a udev probe (blkid holding the device) refuses. */
static int write_str_retry(const char *path, const char *s)
{
	int err = 0, i;

	for (i = 0; i < 100; i++) {
		err = write_str(path, s);
		if (err != -EBUSY)
			break;
		msleep(50);
	}
	return err;
}

static int zram_setup(char *path, size_t size)
{
	char buf[64], p[96];
	int err, id;

	err = read_str(ZRAM_CONTROL "/hot_add", buf, sizeof(buf));
	if (err) {
		fprintf(stderr, "zsstress: cannot hot-add a zram device (%s: %s); load zram or give -d\n",
			ZRAM_CONTROL "/hot_add", strerror(-err));
		return -1;
	}
	if (tool_parse_int(buf, 0, 1 << 20, &id)) {
		fprintf(stderr, "zsstress: %s/hot_add said '%s', not a device number\n",
			ZRAM_CONTROL, buf);
		return -1;
	}
	zram_added = id;
	snprintf(zram_name, sizeof(zram_name), "zram%d", id);
	snprintf(p, sizeof(p), "/sys/block/%s/disksize", zram_name);
	snprintf(buf, sizeof(buf), "%zu", size);
	err = write_str_retry(p, buf);
	if (err) {
		fprintf(stderr, "zsstress: %s: %s\n", p, strerror(-err));
		return -1;
	}
	snprintf(path, 64, "/dev/%s", zram_name);
	return 0;
}

static void zram_teardown(void)
{
	char p[96], buf[16];
	int err;

	if (zram_added < 0)
		return;
	snprintf(p, sizeof(p), "/sys/block/%s/reset", zram_name);
	err = write_str_retry(p, "1");
	if (err)
		fprintf(stderr, "zsstress: %s: %s (device left in place)\n", p, strerror(-err));
	snprintf(buf, sizeof(buf), "%d", zram_added);
	err = write_str_retry(ZRAM_CONTROL "/hot_remove", buf);
	if (err)
		fprintf(stderr, "zsstress: hot_remove %s: %s\n", zram_name, strerror(-err));
}

/* Is the block device @st a zram device?  Its name into zram_name. */
static void zram_identify(const struct stat *st)
{
	char p[96], buf[128], *d;

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/uevent", major(st->st_rdev),
		 minor(st->st_rdev));
	if (read_str(p, buf, sizeof(buf)))
		return;
	/* MAJOR=..\nMINOR=..\nDEVNAME=zramN */
	d = strstr(buf, "DEVNAME=zram");

	if (d && strlen(d + 8) < sizeof(zram_name))
		snprintf(zram_name, sizeof(zram_name), "%s", d + 8);
}

/* Use @avail pages of @what (-n: fewer); at least one per thread. */
static int set_npages(size_t avail, const char *what)
{
	npages = avail;
	if (env.pages && (size_t)env.pages < npages)
		npages = (size_t)env.pages;
	if (npages < (size_t)env.threads) {
		fprintf(stderr, "zsstress: %s has %zu pages, fewer than the %d threads\n", what,
			npages, env.threads);
		return -1;
	}
	return 0;
}

static int open_device(void)
{
	char path[64];
	const char *dev = env.device;
	struct stat st;
	uint64_t size;

	if (!dev) {
		if (zram_setup(path, (size_t)env.size_mib << 20))
			return -1;
		dev = path;
	}
	dev_fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dev_fd < 0 && errno == EBUSY && zram_added >= 0) {
		msleep(200);
		dev_fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	}
	if (dev_fd < 0) {
		fprintf(stderr, "zsstress: cannot open %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (fstat(dev_fd, &st)) {
		fprintf(stderr, "zsstress: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	dev_is_blk = S_ISBLK(st.st_mode);
	if (dev_is_blk) {
		if (ioctl(dev_fd, BLKGETSIZE64, &size)) {
			fprintf(stderr, "zsstress: %s: BLKGETSIZE64: %s\n", dev, strerror(errno));
			return -1;
		}
		if (!zram_name[0])
			zram_identify(&st);
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		if (!size) {
			size = (uint64_t)env.size_mib << 20;
			if (ftruncate(dev_fd, (off_t)size)) {
				fprintf(stderr, "zsstress: %s: %s\n", dev, strerror(errno));
				return -1;
			}
		}
	} else {
		fprintf(stderr, "zsstress: %s is neither a block device nor a file\n", dev);
		return -1;
	}
	if (set_npages(size / PAGE, dev))
		return -1;
	if (!zram_name[0] && (env.force & F_ZRAM_COMPACT)) {
		fprintf(stderr, "zsstress: %s is not a zram device: no zram compaction\n", dev);
		env.force &= ~F_ZRAM_COMPACT;
	}
	printf("zsstress: device %s%s%s pages %zu threads %d seconds %d seed %d\n", dev,
	       zram_name[0] ? " zram " : "", zram_name, npages, env.threads, env.seconds,
	       env.seed);
	return 0;
}

/*
 * --zswap: zswap must be on and have somewhere to swap to (it stores pages
 * on their way to a swap device), and MADV_PAGEOUT must exist (5.4).
 */
static int open_zswap(void)
{
	char buf[64];
	FILE *f;
	int swaps = 0, c, err;

	err = read_str(ZSWAP_ENABLED, buf, sizeof(buf));
	if (err) {
		fprintf(stderr, "zsstress: --zswap: %s: %s (a kernel without CONFIG_ZSWAP?)\n",
			ZSWAP_ENABLED, strerror(-err));
		return -1;
	}
	if (strcmp(buf, "Y") && ZS_PLANT != 2) {
		fprintf(stderr, "zsstress: --zswap: zswap is off (%s reads '%s'): "
			"echo Y > %s\n", ZSWAP_ENABLED, buf, ZSWAP_ENABLED);
		return -1;
	}
	f = fopen("/proc/swaps", "re");
	if (f) {
		while ((c = getc(f)) != EOF)
			swaps += c == '\n';
		fclose(f);
	}
	if (swaps < 2) {
		fprintf(stderr, "zsstress: --zswap: no swap device is active (/proc/swaps): "
			"zswap stores pages on their way to swap; swapon one first\n");
		return -1;
	}
	if (set_npages(((size_t)env.size_mib << 20) / PAGE, "the --zswap mapping"))
		return -1;
	map = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		fprintf(stderr, "zsstress: mmap of %zu pages: %s\n", npages, strerror(errno));
		return -1;
	}
	/* 4 KiB pages: a THP would be split or swapped whole. */
	madvise(map, npages * PAGE, MADV_NOHUGEPAGE);
	if (madvise(map, PAGE, MADV_PAGEOUT)) {
		fprintf(stderr, "zsstress: --zswap: MADV_PAGEOUT: %s (needs Linux 5.4)\n",
			strerror(errno));
		return -1;
	}
	env.force &= ~F_ZRAM_COMPACT;	/* the default list's; -F was checked */
	printf("zsstress: zswap mapping of %zu pages threads %d seconds %d seed %d\n",
	       npages, env.threads, env.seconds, env.seed);
	return 0;
}

/* ---- I/O threads ------------------------------------------------------- */

static void report_failure(struct thread *t, size_t pg, const char *what)
{
	const struct header *h = (const struct header *)t->buf;
	const struct page_state *ps = &pages[pg];
	unsigned long long n = atomic_fetch_add(&nfailures, 1) + 1;
	size_t off;

	t->failures++;
	if (n > MAX_REPORTED)
		return;
	for (off = 0; off < PAGE && t->buf[off] == t->want[off]; off++)
		;
	pthread_mutex_lock(&report_lock);
	fprintf(stderr,
		"zsstress: VERIFY FAILED page %zu (%s): want gen %u kind %s; found magic 0x%08x "
		"id %u gen %u kind %u; first difference at byte %zu (0x%02x, want 0x%02x)\n",
		pg, what, ps->gen, kind_names[ps->kind], h->magic, h->id, h->gen, h->kind, off,
		off < PAGE ? t->buf[off] : 0, off < PAGE ? t->want[off] : 0);
	if (n == MAX_REPORTED)
		fprintf(stderr, "zsstress: further failures are counted, not printed\n");
	pthread_mutex_unlock(&report_lock);
}

static void io_error(struct thread *t, const char *op, size_t pg, ssize_t n)
{
	t->errors++;
	pthread_mutex_lock(&report_lock);
	fprintf(stderr, "zsstress: %s page %zu: %s\n", op, pg,
		n < 0 ? strerror(errno) : "short transfer");
	pthread_mutex_unlock(&report_lock);
}

/* --zswap: swap page @pg out (through zswap); a failure is an I/O error. */
static void page_out(struct thread *t, size_t pg)
{
	if (ZS_PLANT == 1)
		return;
	if (madvise(map + pg * PAGE, PAGE, MADV_PAGEOUT))
		io_error(t, "pageout", pg, -1);
}

/*
 * Store t->buf as page @pg: PAGE, or what pwrite() returned.  With --zswap
 * the page holds it once copied; a pageout that fails is an I/O error of
 * its own (page_out()), the page then read back from memory.
 */
static ssize_t store(struct thread *t, size_t pg)
{
	if (!map)
		return pwrite(dev_fd, t->buf, PAGE, (off_t)pg * PAGE);
	memcpy(map + pg * PAGE, t->buf, PAGE);
	page_out(t, pg);
	return PAGE;
}

static int do_write(struct thread *t, size_t pg, enum kind k)
{
	struct page_state *ps = &pages[pg];
	uint32_t gen = ps->gen + 1;
	ssize_t n;

	if (!gen)
		gen = 1;
	make_page(t->buf, (uint32_t)pg, gen, k);
	n = store(t, pg);
	if (n != PAGE) {
		io_error(t, "write", pg, n);
		return -1;
	}
	ps->gen = gen;
	ps->kind = (uint8_t)k;
	t->writes++;
	t->kinds[k]++;
	t->bytes_w += PAGE;
	return 0;
}

static int do_discard(struct thread *t, size_t pg)
{
	uint64_t range[2] = { (uint64_t)pg * PAGE, PAGE };
	int r;

	if (map)
		r = madvise(map + pg * PAGE, PAGE, MADV_DONTNEED);
	else if (dev_is_blk)
		r = ioctl(dev_fd, BLKDISCARD, range);
	else
		r = fallocate(dev_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)range[0], PAGE);
	if (r) {
		io_error(t, "discard", pg, -1);
		return -1;
	}
	pages[pg].kind = K_NONE;	/* gen kept: the next write is newer */
	t->discards++;
	return 0;
}

static int do_read(struct thread *t, size_t pg)
{
	const struct page_state *ps = &pages[pg];
	const struct header *h = (const struct header *)t->buf;
	ssize_t n = PAGE;

	if (map)	/* faults the page in, through zswap */
		memcpy(t->buf, map + pg * PAGE, PAGE);
	else
		n = pread(dev_fd, t->buf, PAGE, (off_t)pg * PAGE);
	if (n != PAGE) {
		io_error(t, "read", pg, n);
		return -1;
	}
	t->reads++;
	t->bytes_r += PAGE;
	make_page(t->want, (uint32_t)pg, ps->gen, (enum kind)ps->kind);
	t->verified++;
	if (map && ps->kind != K_NONE)
		page_out(t, pg);	/* back to zswap for the next read */
	if (!memcmp(t->buf, t->want, PAGE))
		return 0;
	/* Say what kind of wrong it is: another page, an old one, damage. */
	if (ps->kind == K_NONE || ps->kind == K_SAME)
		report_failure(t, pg, "content");
	else if (h->magic != MAGIC)
		report_failure(t, pg, "no header");
	else if (h->id != pg)
		report_failure(t, pg, "another page's data");
	else if (h->gen != ps->gen)
		report_failure(t, pg, h->gen < ps->gen ? "a lost write (older generation)" :
						       "a newer generation");
	else if (h->sum != fnv1a(t->buf + sizeof(*h), PAGE - sizeof(*h)))
		report_failure(t, pg, "checksum");
	else
		report_failure(t, pg, "content");
	return 0;
}

static enum kind pick_kind(struct thread *t)
{
	enum kind k;

	do
		k = (enum kind)(1 + splitmix(&t->rng) % (K_NR - 1));
	while (!(env.kinds & (1 << k)));
	return k;
}

/* Thread @t owns pages idx, idx + threads, idx + 2 * threads, ... */
static size_t own_count(const struct thread *t)
{
	return (npages - (size_t)t->idx + (size_t)env.threads - 1) / (size_t)env.threads;
}

static size_t own_page(const struct thread *t, size_t i)
{
	return (size_t)t->idx + i * (size_t)env.threads;
}

/* Phases, between barriers: fill, mixed until stop_io, read every page. */
static pthread_barrier_t barrier;

static void *io_thread(void *arg)
{
	struct thread *t = arg;
	size_t i, n = own_count(t);
	size_t hot = env.hot ? ((size_t)env.hot + (size_t)env.threads - 1) / (size_t)env.threads : 0;
	int injected = 0;

	if (hot > n)
		hot = n;
	for (i = 0; i < n && !tool_exiting; i++)
		do_write(t, own_page(t, i), pick_kind(t));
	pthread_barrier_wait(&barrier);
	while (!atomic_load(&stop_io) && !tool_exiting) {
		size_t pg = own_page(t, splitmix(&t->rng) % n);
		unsigned op = splitmix(&t->rng) % 100;

		if (op < (unsigned)env.reads) {
			if (hot && splitmix(&t->rng) % 10)
				pg = own_page(t, splitmix(&t->rng) % hot);
			do_read(t, pg);
			t->mixed_bytes += PAGE;
		} else if (op % 10 == 0) {
			do_discard(t, pg);
		} else {
			do_write(t, pg, pick_kind(t));
			t->mixed_bytes += PAGE;
		}
		t->mixed++;
	}
	pthread_barrier_wait(&barrier);
	/*
	 * --inject, before the final read: pages rewritten with one byte
	 * flipped, the model not told.  Each must be found.
	 */
	for (i = 0; t->idx == 0 && (int)i < env.inject && i < n; i++) {
		size_t pg = own_page(t, i);

		if (pages[pg].kind == K_NONE || pages[pg].kind == K_SAME)
			do_write(t, pg, K_MID);
		make_page(t->buf, (uint32_t)pg, pages[pg].gen, (enum kind)pages[pg].kind);
		t->buf[PAGE / 2] ^= 0x40;
		if (store(t, pg) == PAGE)
			injected++;
	}
	if (injected)
		fprintf(stderr, "zsstress: injected %d corrupt pages\n", injected);
	for (i = 0; i < n && !tool_exiting; i++)
		do_read(t, own_page(t, i));
	return NULL;
}

/* ---- the forcing thread ------------------------------------------------- */

static char (*blocks)[sizeof(((struct dirent *)0)->d_name)];
static int nblocks;

/* Online memory blocks whose zone is Movable: offlining them migrates zspages. */
static int find_movable_blocks(void)
{
	DIR *d = opendir(MEMORY_DIR);
	struct dirent *e;
	char p[300], buf[128];
	int cap = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "memory", 6) || !isdigit((unsigned char)e->d_name[6]))
			continue;
		snprintf(p, sizeof(p), MEMORY_DIR "/%s/state", e->d_name);
		if (read_str(p, buf, sizeof(buf)) || strcmp(buf, "online"))
			continue;
		snprintf(p, sizeof(p), MEMORY_DIR "/%s/valid_zones", e->d_name);
		if (read_str(p, buf, sizeof(buf)) || strcmp(buf, "Movable"))
			continue;
		if (nblocks == cap) {
			void *nb;

			cap = cap ? cap * 2 : 16;
			nb = realloc(blocks, (size_t)cap * sizeof(*blocks));
			if (!nb)
				break;
			blocks = nb;
		}
		snprintf(blocks[nblocks++], sizeof(*blocks), "%s", e->d_name);
	}
	closedir(d);
	return nblocks;
}

static void *force_thread(void *arg)
{
	struct force_stats *fs = arg;
	char p[300];
	int b = 0, err;

	while (!atomic_load(&stop_force) && !tool_exiting) {
		fs->rounds++;
		if ((env.force & F_OFFLINE) && nblocks) {
			snprintf(p, sizeof(p), MEMORY_DIR "/%s/state", blocks[b]);
			err = write_str(p, "offline");
			if (err) {
				fs->offline_refused++;
				if (env.verbose)
					fprintf(stderr, "zsstress: offline %s: %s\n", blocks[b],
						strerror(-err));
			} else {
				fs->offlined++;
				err = write_str(p, "online_movable");
				if (err) {
					fs->online_failed++;
					fprintf(stderr, "zsstress: online_movable %s: %s\n",
						blocks[b], strerror(-err));
				} else if (env.verbose) {
					fprintf(stderr, "zsstress: offlined and onlined %s\n",
						blocks[b]);
				}
			}
			b = (b + 1) % nblocks;
		}
		if (env.force & F_COMPACT) {
			if (write_str("/proc/sys/vm/compact_memory", "1"))
				fs->errors++;
			else
				fs->compact++;
		}
		if (env.force & F_ZRAM_COMPACT) {
			snprintf(p, sizeof(p), "/sys/block/%s/compact", zram_name);
			if (write_str(p, "1"))
				fs->errors++;
			else
				fs->zram_compact++;
		}
		if (env.interval_ms)
			msleep(env.interval_ms);
	}
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL, NULL, NULL };
	struct thread th[MAX_THREADS];
	struct force_stats fs = { 0 };
	pthread_t force_tid;
	bool forcing = false;
	uint64_t mig0, migf0, comp0, zout0, zin0, pout0, t0, t_mixed = 0, t_end, ms, deadline;
	uint64_t ops = 0, mixed_ops = 0, mixed_bytes = 0, bytes = 0, verified = 0, errors = 0;
	uint64_t kinds[K_NR] = { 0 }, w = 0, r = 0, dsc = 0;
	double rates[MAX_THREADS];
	int i, k, nthreads_alloc = 0, rc = TOOL_EXIT_OK;

	tool_argp_parse(&argp, argc, argv, TOOL_EXIT_USAGE, NULL);
	if (ZS_PLANT)
		fprintf(stderr, "zsstress: built with ZS_PLANT=%d: a planted bug, for tests only\n",
			ZS_PLANT);
	if (((!env.device && !env.zswap) || env.force) && geteuid() != 0) {
		fprintf(stderr, "zsstress: needs root (zram set-up, memory offlining, compaction)\n");
		return TOOL_EXIT_ERROR;
	}
	tool_handle_signals();
	if (env.force & F_OFFLINE) {
		int n = find_movable_blocks();

		if (n <= 0) {
			fprintf(stderr, "zsstress: no online ZONE_MOVABLE memory block in %s "
				"(boot with movablecore=, or online_movable some blocks; or -F without "
				"offline)\n", MEMORY_DIR);
			return TOOL_EXIT_ERROR;
		}
		fs.blocks = n;
	}
	if (env.zswap ? open_zswap() : open_device()) {
		rc = TOOL_EXIT_ERROR;
		goto out;
	}
	pages = calloc(npages, sizeof(*pages));
	if (!pages) {
		fprintf(stderr, "zsstress: out of memory\n");
		rc = TOOL_EXIT_ERROR;
		goto out;
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)env.threads + 1);
	for (i = 0; i < env.threads; i++, nthreads_alloc++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].idx = i;
		th[i].rng = (uint64_t)env.seed * 0x100000001b3ULL + (uint64_t)i;
		if (posix_memalign((void **)&th[i].buf, PAGE, PAGE) ||
		    posix_memalign((void **)&th[i].want, PAGE, PAGE)) {
			fprintf(stderr, "zsstress: out of memory\n");
			rc = TOOL_EXIT_ERROR;
			goto out;
		}
	}
	mig0 = vmstat("pgmigrate_success");
	migf0 = vmstat("pgmigrate_fail");
	comp0 = mm_stat(6);
	zout0 = vmstat("zswpout");
	zin0 = vmstat("zswpin");
	pout0 = vmstat("pswpout");
	t0 = tool_now_ns();
	for (i = 0; i < env.threads; i++)
		if (pthread_create(&th[i].tid, NULL, io_thread, &th[i])) {
			fprintf(stderr, "zsstress: cannot start thread %d\n", i);
			exit(TOOL_EXIT_ERROR);
		}
	/* Fill done: force migration while the mixed phase runs. */
	pthread_barrier_wait(&barrier);
	t_mixed = tool_now_ns();
	printf("zsstress: filled %zu pages in %.3f s\n", npages, (t_mixed - t0) / 1e9);
	fflush(stdout);
	if (env.force) {
		if (pthread_create(&force_tid, NULL, force_thread, &fs)) {
			fprintf(stderr, "zsstress: cannot start the forcing thread\n");
			exit(TOOL_EXIT_ERROR);
		}
		forcing = true;
	}
	/* A deadline, not a count of sleeps: a starved guest oversleeps. */
	deadline = t_mixed + (uint64_t)env.seconds * 1000000000ULL;
	while (tool_now_ns() < deadline && !tool_exiting) {
		ms = (deadline - tool_now_ns()) / 1000000;
		msleep(ms > 100 ? 100 : (int)ms + 1);
	}
	atomic_store(&stop_io, true);
	pthread_barrier_wait(&barrier);
	t_end = tool_now_ns();
	if (forcing) {
		atomic_store(&stop_force, true);
		pthread_join(force_tid, NULL);
	}
	for (i = 0; i < env.threads; i++) {
		pthread_join(th[i].tid, NULL);
		w += th[i].writes;
		r += th[i].reads;
		dsc += th[i].discards;
		bytes += th[i].bytes_w + th[i].bytes_r;
		verified += th[i].verified;
		errors += th[i].errors;
		for (k = 0; k < K_NR; k++)
			kinds[k] += th[i].kinds[k];
	}
	ops = w + r + dsc;
	/* Mixed-phase rate per thread (final verify excluded): median, min-max. */
	for (i = 0; i < env.threads; i++) {
		mixed_ops += th[i].mixed;
		mixed_bytes += th[i].mixed_bytes;
		rates[i] = t_end > t_mixed ? th[i].mixed / ((t_end - t_mixed) / 1e9) : 0;
	}
	{
		double lo = rates[0], hi = rates[0], med;
		double secs = t_end > t_mixed ? (t_end - t_mixed) / 1e9 : 0;

		for (i = 1; i < env.threads; i++) {
			lo = rates[i] < lo ? rates[i] : lo;
			hi = rates[i] > hi ? rates[i] : hi;
		}
		med = pm_median(rates, (size_t)env.threads);
		printf("zsstress: mixed phase %.3f s: %" PRIu64 " ops, %.1f ops/s "
		       "(per thread median %.1f, min-max %.1f-%.1f)\n",
		       secs, mixed_ops, secs > 0 ? mixed_ops / secs : 0, med, lo, hi);
	}
	printf("zsstress: all phases: writes %" PRIu64 " reads %" PRIu64 " discards %" PRIu64
	       " ops %" PRIu64 " bytes %" PRIu64 " io_errors %" PRIu64 "\n", w, r, dsc, ops, bytes,
	       errors);
	printf("zsstress: kinds written:");
	for (k = 1; k < K_NR; k++)
		printf(" %s %" PRIu64, kind_names[k], kinds[k]);
	printf("\n");
	printf("zsstress: forcing rounds %" PRIu64 " offlined %" PRIu64 " of %d movable blocks"
	       " (refused %" PRIu64 ", online failed %" PRIu64 ") compact_memory %" PRIu64
	       " zram_compact %" PRIu64 " errors %" PRIu64 "\n", fs.rounds, fs.offlined,
	       fs.blocks, fs.offline_refused, fs.online_failed, fs.compact, fs.zram_compact,
	       fs.errors);
	{
		uint64_t mig = vmstat("pgmigrate_success") - mig0;
		uint64_t migf = vmstat("pgmigrate_fail") - migf0;
		double secs = t_end > t_mixed ? (t_end - t_mixed) / 1e9 : 0;

		if (zram_name[0])
			printf("zsstress: zram %s mm_stat pages_compacted +%" PRIu64
			       " huge_pages %" PRIu64 " same_pages %" PRIu64 "\n", zram_name,
			       mm_stat(6) - comp0, mm_stat(7), mm_stat(5));
		if (map)
			printf("zsstress: zswap zswpout +%" PRIu64 " zswpin +%" PRIu64
			       " pswpout +%" PRIu64 " (past zswap to the swap device)\n",
			       vmstat("zswpout") - zout0, vmstat("zswpin") - zin0,
			       vmstat("pswpout") - pout0);
		printf("zsstress: vmstat pgmigrate_success +%" PRIu64 " pgmigrate_fail +%" PRIu64
		       "\n", mig, migf);
		printf("zsstress: ops %" PRIu64 " ops_per_s %.1f bytes %" PRIu64 " migrations %" PRIu64
		       " verified %" PRIu64 " verify_failures %llu\n", mixed_ops,
		       secs > 0 ? mixed_ops / secs : 0, mixed_bytes, mig, verified,
		       (unsigned long long)atomic_load(&nfailures));
	}
	if (atomic_load(&nfailures) || errors || fs.online_failed)
		rc = TOOL_EXIT_ERROR;
	if (tool_exiting) {
		fprintf(stderr, "zsstress: interrupted\n");
		rc = TOOL_EXIT_ERROR;
	}
out:
	if (dev_fd >= 0)
		close(dev_fd);
	if (map)
		munmap(map, npages * PAGE);
	zram_teardown();
	for (i = 0; i < nthreads_alloc; i++) {
		free(th[i].buf);
		free(th[i].want);
	}
	free(pages);
	free(blocks);
	return rc;
}
