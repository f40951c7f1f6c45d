// SPDX-License-Identifier: GPL-2.0
/*
 * The event log: a round trip through a file, and every way a file can be
 * damaged (each truncation, each byte flipped, a newer version, trailing
 * data, records that refer to what was never written) gives an error
 * message, never a crash or a "complete" log.  The fast histogram path
 * sums exactly what the record-by-record path does, over mapped windows
 * and pipes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/hist_api.h"
#include "../../lib/log_api.h"
#include "unit.h"

static char tmpdir[] = "/tmp/pm-test-log.XXXXXX";

#define SAMPLE_RECORDS 5

/* Read a file into memory; NULL on failure. */
static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n)) || fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	} else {
		*len = n;
	}
	if (f)
		fclose(f);
	return buf;
}

/*
 * Write a small log with records of each type (two names, two slices in
 * one record, a counter, a histogram); return its bytes.
 */
static unsigned char *sample(size_t *len, int *unit_failed)
{
	static const char *const names[] = { "collect", "unmap" };
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_slice a = { .end_ns = 2500, .dur_ns = 1500, .op_id = 42, .pid = 7, .tgid = 6,
			      .cpu = 1, .pages = 512, .stage = 0 };
	struct pm_slice b = { .end_ns = 5000, .dur_ns = 2500, .op_id = 42, .pid = 7, .tgid = 6,
			      .cpu = 3, .pages = 511, .stage = 1 };
	struct pm_rec_counter c = { .name = "skip.pinned", .value = 3, .available = 1 };
	struct pm_rec_hist h = { .name = "collect_ns" };
	unsigned char *buf;

	if (!mkdtemp(tmpdir) && tmpdir[0] != '/')
		return NULL;
	snprintf(path, sizeof(path), "%s/sample.log", tmpdir);
	pm_hist_add(&h.hist, 1500);
	pm_hist_add(&h.hist, 90000);
	w = pm_log_create(path, "migratevma", "7.3.0-rc7-pagemove", "collect=tp_btf", 1000, err);
	if (!w) {
		fprintf(stderr, "  %s\n", err);
		(*unit_failed)++;
		return NULL;
	}
	if (pm_log_name_stages(w, names, 2) ||
	    pm_log_slice(w, &a) || pm_log_slice(w, &b) ||
	    pm_log_write(w, PM_REC_COUNTER, 0, 2600, &c, sizeof(c)) ||
	    pm_log_write(w, PM_REC_HIST, 0, 2700, &h, sizeof(h)) ||
	    pm_log_close(w, 7, err)) {
		fprintf(stderr, "  write: %s\n", err);
		(*unit_failed)++;
		return NULL;
	}
	buf = slurp(path, len);
	if (!buf)
		(*unit_failed)++;
	unlink(path);
	rmdir(tmpdir);
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
	return buf;
}

/* Read a whole log: 0 complete, -1 error (message in err). */
static int read_all(const void *buf, size_t len, char err[PM_ERR_LEN], int *nrec)
{
	struct pm_log_reader *r = pm_log_open_mem(buf, len, err);
	struct pm_rec rec;
	int rc;

	*nrec = 0;
	if (!r)
		return -1;
	while ((rc = pm_log_next(r, &rec)) > 0)
		(*nrec)++;
	if (rc < 0)
		snprintf(err, PM_ERR_LEN, "%s", pm_log_error(r));
	pm_log_free(r);
	return rc;
}

TEST(round_trip_keeps_every_field)
{
	char err[PM_ERR_LEN];
	size_t len = 0;
	unsigned char *buf = sample(&len, unit_failed);
	struct pm_log_reader *r;
	const struct pm_log_header *h;
	struct pm_slice sl;
	const struct pm_rec_declare *nm;
	const struct pm_rec_counter *c;
	const struct pm_rec_hist *hi;
	struct pm_rec rec;

	CHECK(buf, "no sample");
	r = pm_log_open_mem(buf, len, err);
	CHECK(r, "open: %s", err);
	h = pm_log_header(r);
	CHECK(!strcmp(h->tool, "migratevma") && !strcmp(h->kernel, "7.3.0-rc7-pagemove") &&
	      !strcmp(h->hooks, "collect=tp_btf") && h->start_ns == 1000 &&
	      h->version == 3 && h->flags == PM_LOG_COMPLETE && h->lost_events == 7,
	      "header fields");
	CHECK(!pm_log_stage_name(r, 0), "nothing named before the records");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_DECLARE, "declare record");
	nm = rec.payload;
	CHECK(nm->id == 0 && nm->class == PM_DECL_STAGE && !strcmp(nm->unit, "ns") &&
	      !strcmp(nm->name, "collect") &&
	      !strcmp(pm_log_stage_name(r, 0), "collect") && !pm_log_stage_name(r, 1),
	      "name payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_DECLARE &&
	      !strcmp(pm_log_stage_name(r, 1), "unmap"), "second name");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_SLICES && rec.hdr.cpu == 3 &&
	      rec.hdr.ts_ns == 5000 && rec.hdr.size == pm_slices_size(2) &&
	      pm_slices_count(&rec) == 2, "slices record header");
	pm_slices_get(&rec, 0, &sl);
	CHECK(sl.end_ns == 2500 && sl.dur_ns == 1500 && sl.op_id == 42 && sl.pid == 7 &&
	      sl.tgid == 6 && sl.cpu == 1 && sl.pages == 512 && sl.stage == 0, "first slice");
	pm_slices_get(&rec, 1, &sl);
	CHECK(sl.end_ns == 5000 && sl.dur_ns == 2500 && sl.op_id == 42 && sl.pid == 7 &&
	      sl.tgid == 6 && sl.cpu == 3 && sl.pages == 511 && sl.stage == 1, "second slice");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_COUNTER, "counter");
	c = rec.payload;
	CHECK(!strcmp(c->name, "skip.pinned") && c->value == 3 && c->available == 1 && !c->unit[0],
	      "counter payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_HIST, "hist");
	hi = rec.payload;
	CHECK(hi->hist.count == 2 && hi->hist.max == 90000 && !strcmp(hi->unit, "ns") &&
	      hi->hist.slots[pm_hist_slot(1500)] == 1, "hist payload");
	CHECK(pm_log_next(r, &rec) == 0 && pm_log_lost(r) == 7 &&
	      pm_log_records(r) == SAMPLE_RECORDS, "end record");
	CHECK(pm_log_next(r, &rec) == 0, "stays at end");
	pm_log_free(r);
	free(buf);
}

TEST(every_truncation_is_an_error)
{
	char err[PM_ERR_LEN];
	size_t len = 0, cut;
	unsigned char *buf = sample(&len, unit_failed);
	int nrec;

	CHECK(buf, "no sample");
	for (cut = 0; cut < len; cut++) {
		err[0] = 0;
		CHECK(read_all(buf, cut, err, &nrec) < 0, "a log cut at %zu bytes of %zu reads as complete",
		      cut, len);
		CHECK(err[0], "no message for a cut at %zu", cut);
	}
	CHECK(read_all(buf, 0, err, &nrec) < 0 && strstr(err, "empty file"), "empty: %s", err);
	CHECK(read_all(buf, 5, err, &nrec) < 0 && strstr(err, "bad magic"), "5 bytes: %s", err);
	CHECK(read_all(buf, 100, err, &nrec) < 0 && strstr(err, "truncated header"), "100: %s", err);
	CHECK(read_all(buf, len - 1, err, &nrec) < 0 && strstr(err, "truncated record") &&
	      nrec == SAMPLE_RECORDS, "cut in the end record: %s", err);
	CHECK(read_all(buf, PM_LOG_HEADER_SIZE, err, &nrec) < 0 && strstr(err, "no end record"),
	      "header only: %s", err);
	free(buf);
}

TEST(flipped_bytes_never_crash)
{
	char err[PM_ERR_LEN];
	size_t len = 0, i;
	unsigned char *buf = sample(&len, unit_failed), *bad;
	int nrec, bit;

	CHECK(buf, "no sample");
	bad = malloc(len);
	CHECK(bad, "malloc");
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(bad, buf, len);
			bad[i] ^= 1u << bit;
			read_all(bad, len, err, &nrec);	/* ASan/UBSan judge */
			CHECK(nrec <= SAMPLE_RECORDS, "byte %zu: %d records", i, nrec);
		}
	}
	free(bad);
	free(buf);
}

TEST(newer_version_is_named)
{
	char err[PM_ERR_LEN];
	size_t len = 0;
	unsigned char *buf = sample(&len, unit_failed);
	struct pm_log_header *h;
	int nrec;

	CHECK(buf, "no sample");
	h = (struct pm_log_header *)buf;
	h->version = 4;
	CHECK(read_all(buf, len, err, &nrec) < 0 &&
	      strstr(err, "version 4, this build reads versions 2 to 3"), "%s", err);
	h->version = 2;		/* version 3 records in a version 2 log: refused */
	CHECK(read_all(buf, len, err, &nrec) < 0 && strstr(err, "unknown record type at offset 256"),
	      "%s", err);
	h->version = 1;		/* 80-byte stage records: not read as version 2 */
	CHECK(read_all(buf, len, err, &nrec) < 0 && strstr(err, "version 1"), "%s", err);
	free(buf);
}

TEST(data_after_the_end_is_an_error)
{
	char err[PM_ERR_LEN];
	size_t len = 0;
	unsigned char *buf = sample(&len, unit_failed), *more;
	int nrec;

	CHECK(buf, "no sample");
	more = malloc(len + 1);
	CHECK(more, "malloc");
	memcpy(more, buf, len);
	more[len] = 'x';
	CHECK(read_all(more, len + 1, err, &nrec) < 0 && strstr(err, "after the end"), "%s", err);
	free(more);
	free(buf);
}

TEST(writer_refuses_wrong_sizes)
{
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_rec_counter c = { .name = "x" };

	snprintf(path, sizeof(path), "/tmp/pm-test-w.%d", getpid());
	w = pm_log_create(path, "t", "k", "", 0, err);
	CHECK(w, "%s", err);
	CHECK(pm_log_write(w, PM_REC_COUNTER, 0, 0, &c, sizeof(c) - 1) < 0, "short accepted");
	CHECK(pm_log_close(w, 0, err) < 0 && strstr(err, "bad record"), "close: %s", err);
	unlink(path);
	CHECK(pm_log_open("/nonexistent/x.log", err) == NULL && strstr(err, "cannot open"), "%s", err);
}

/*
 * Open @len bytes of @buf as a pipe on stdin ("-"): a child writes them.
 * The reader then reads(2) a buffer instead of mapping a file.
 */
static struct pm_log_reader *open_pipe(const void *buf, size_t len, char err[PM_ERR_LEN])
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return NULL;
	pid = fork();
	if (pid == 0) {
		const unsigned char *b = buf;
		ssize_t n;

		close(p[0]);
		while (len && (n = write(p[1], b, len)) > 0) {
			b += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || dup2(p[0], STDIN_FILENO) < 0) {
		close(p[0]);
		return NULL;
	}
	close(p[0]);
	return pm_log_open("-", err);
}

static void reap(void)
{
	while (wait(NULL) > 0)
		;
}

TEST(pipe_reads_like_memory)
{
	char err[PM_ERR_LEN];
	size_t len = 0;
	unsigned char *buf = sample(&len, unit_failed);
	struct pm_log_reader *r;
	struct pm_rec rec;
	int n = 0, rc;

	CHECK(buf, "no sample");
	r = open_pipe(buf, len, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0)
		n++;
	CHECK(rc == 0 && n == SAMPLE_RECORDS && pm_log_lost(r) == 7, "rc %d, %d records", rc, n);
	pm_log_free(r);
	reap();
	/* and a truncated stream is an error too */
	r = open_pipe(buf, len - 5, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0)
		;
	CHECK(rc < 0 && strstr(pm_log_error(r), "truncated record"), "%s", pm_log_error(r));
	pm_log_free(r);
	reap();
	free(buf);
}

/*
 * A log whose records break one rule: the first error must name it.  The
 * log is two names and a slices record of one slice, at these offsets:
 */
#define AT_SLICES	(PM_LOG_HEADER_SIZE + 2 * (16 + sizeof(struct pm_rec_declare)))
#define AT_N		(AT_SLICES + 16)
#define AT_STAGE	(AT_N + sizeof(struct pm_rec_slices))

static const char *broken(int how, char err[PM_ERR_LEN], int fast)
{
	static const char *const names[] = { "collect", "unmap" };
	char path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_slice sl = { .dur_ns = 10 };
	struct pm_hist hists[PM_MAX_STAGES];
	struct pm_rec rec;
	unsigned int v = 0;
	size_t at = 0;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/tmp/pm-test-b.%d", getpid());
	w = pm_log_create(path, "t", "k", "", 0, err);
	if (!w)
		return err;
	pm_log_name_stages(w, names, 2);
	sl.end_ns = 10;
	pm_log_slice(w, &sl);
	pm_log_close(w, 0, err);
	switch (how) {		/* what the writer would not write: patched in */
	case 0: at = AT_STAGE, v = 2; break;		/* a stage nothing named */
	case 1: at = AT_STAGE, v = 70; break;		/* beyond the table */
	case 2: at = AT_STAGE + 1, v = 1; break;	/* padding */
	case 3: at = AT_N, v = 0; break;		/* no slices */
	case 4: at = AT_N + 1, v = 4; break;		/* 1025 slices */
	case 5: at = AT_N + 4, v = 1; break;		/* reserved */
	case 6: at = PM_LOG_HEADER_SIZE + 16 + 72 + 2, v = 0; break;	/* stage 0 twice */
	case 7: at = PM_LOG_HEADER_SIZE + 16 + 2, v = 64; break;	/* beyond the table */
	case 8: at = AT_SLICES + 2, v = 48; break;	/* size field */
	case 9: at = AT_N, v = 0; break;		/* no slices, no size: */
	}
	f = at ? fopen(path, "r+b") : NULL;
	if (f) {
		fseek(f, (long)at, SEEK_SET);
		fputc((int)v, f);
		if (how == 9) {		/* ... the fuzzer found the fast path took it */
			fseek(f, (long)AT_SLICES + 2, SEEK_SET);
			fputc(0, f);
		}
		fclose(f);
	}
	r = pm_log_open(path, err);
	unlink(path);
	if (!r)
		return err;
	memset(hists, 0, sizeof(hists));
	while ((rc = fast ? pm_log_next_hist(r, &rec, hists) : pm_log_next(r, &rec)) > 0)
		;
	snprintf(err, PM_ERR_LEN, "%s", rc < 0 ? pm_log_error(r) : "read as valid");
	pm_log_free(r);
	return err;
}

TEST(records_refer_only_to_what_was_written)
{
	static const char *const want[] = {
		"slice of an undeclared stage number at offset 400",
		"slice of an undeclared stage number",
		"nonzero padding in slices record",
		"slices record with a bad count or reserved field",
		"slices record with a bad count or reserved field",
		"slices record with a bad count or reserved field",
		"stage number declared twice at offset 328",
		"stage number out of range in declaration at offset 256",
		"record of the wrong size",
		"slices record with a bad count or reserved field",
	};
	char err[PM_ERR_LEN];
	int how, fast;

	CHECK(AT_SLICES == 400, "layout");
	for (fast = 0; fast < 2; fast++)
		for (how = 0; how < 10; how++)
			CHECK(strstr(broken(how, err, fast), want[how]), "case %d%s: %s", how,
			      fast ? " (pm_log_next_hist)" : "", err);
}

/*
 * A log of many slices records, of varied counts (other records between
 * them), over many reads: the histograms pm_log_next_hist() builds by
 * reading two columns equal those of reading record by record, from the
 * file, from stdin as a file, and from a pipe.
 */
TEST(fast_histograms_equal_record_by_record)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
	static struct pm_hist slow[PM_MAX_STAGES], fast[PM_MAX_STAGES], other[PM_MAX_STAGES];
	const unsigned long n = 1600000;	/* ~66 MB */
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_rec_counter c = { .name = "x", .available = 1 };
	struct pm_slice sl = { .pid = 1 };
	struct pm_rec rec;
	uint64_t s = 7, records = 0, slices = 0, nother = 0, total;
	unsigned char *buf;
	unsigned long i;
	unsigned int k;
	size_t len = 0;
	int rc, how;

	snprintf(path, sizeof(path), "/tmp/pm-test-f.%d", getpid());
	w = pm_log_create(path, "t", "k", "", 0, err);
	CHECK(w, "%s", err);
	pm_log_name_stages(w, names, 6);
	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if (i % 99991 == 0) {	/* now and then another record, a short batch */
			snprintf(c.name, sizeof(c.name), "x%lu", i);
			pm_log_write(w, PM_REC_COUNTER, 0, i, &c, sizeof(c));
		}
		sl.op_id = i / 6;
		sl.end_ns = i;
		sl.stage = (unsigned int)(s % 6);
		sl.dur_ns = s >> (24 + s % 40);	/* sums stay below 2^64 */
		pm_log_slice(w, &sl);
	}
	CHECK(!pm_log_close(w, 0, err), "%s", err);

	r = pm_log_open(path, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0) {
		records++;
		if (rec.hdr.type != PM_REC_SLICES) {
			nother++;
			continue;
		}
		for (k = 0; k < pm_slices_count(&rec); k++, slices++) {
			pm_slices_get(&rec, k, &sl);
			pm_hist_add(&slow[sl.stage], sl.dur_ns);
		}
	}
	CHECK(rc == 0 && slices == n && records == pm_log_records(r),
	      "record by record: rc %d, %llu slices", rc, (unsigned long long)slices);
	total = records;
	pm_log_free(r);
	buf = slurp(path, &len);
	CHECK(buf, "read back");

	for (how = 0; how < 3; how++) {
		struct pm_hist *h = how ? other : fast;

		memset(other, 0, sizeof(other));
		if (how == 1 && !freopen(path, "rb", stdin))
			break;
		r = how == 2 ? open_pipe(buf, len, err) : pm_log_open(how ? "-" : path, err);
		CHECK(r, "%s", err);
		records = 0;
		while ((rc = pm_log_next_hist(r, &rec, h)) > 0)
			records++;
		CHECK(rc == 0 && records == nother && pm_log_records(r) == total,
		      "way %d: rc %d, %llu other records: %s", how, rc, (unsigned long long)records,
		      pm_log_error(r));
		pm_log_free(r);
		reap();
		CHECK(!memcmp(slow, h, sizeof(slow)), "way %d: fast histograms differ", how);
	}
	unlink(path);
	free(buf);
}

/*
 * Crafted logs, byte by byte, without the writer (which refuses all of
 * these): each breaks one rule of log_format.h, and the reader must name
 * it, with the offset of the record that breaks it.
 */
struct craft {
	unsigned char buf[1 << 16] __attribute__((aligned(8)));
	size_t len;
	unsigned long long nrec;
};

static void craft_header(struct craft *c, unsigned int version, const char *tool)
{
	struct pm_log_header h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, PM_LOG_MAGIC, 8);
	h.version = version;
	h.header_size = PM_LOG_HEADER_SIZE;
	memcpy(h.tool, tool, strlen(tool) < 31 ? strlen(tool) : 31);
	strcpy(h.kernel, "7.3.0");
	strcpy(h.hooks, "a=b");
	h.clock = PM_CLOCK_MONOTONIC;
	h.start_ns = 100;
	memcpy(c->buf, &h, sizeof(h));
	c->len = sizeof(h);
	c->nrec = 0;
}

static size_t craft_rec(struct craft *c, unsigned int type, unsigned long long ts, const void *p,
			size_t size)
{
	struct pm_rec_hdr h = { .type = (unsigned short)type, .size = (unsigned short)size,
				.ts_ns = ts };
	size_t at = c->len;

	memcpy(c->buf + c->len, &h, sizeof(h));
	memcpy(c->buf + c->len + sizeof(h), p, size);
	c->len += sizeof(h) + size;
	c->nrec++;
	return at;
}

static void craft_end(struct craft *c)
{
	struct pm_rec_end e = { .nr_records = c->nrec };

	craft_rec(c, PM_REC_END, 0, &e, sizeof(e));
}

static size_t craft_stage(struct craft *c, unsigned int id, const char *name)
{
	struct pm_rec_declare d;

	memset(&d, 0, sizeof(d));
	d.class = PM_DECL_STAGE;
	d.id = (unsigned short)id;
	strcpy(d.name, name);
	strcpy(d.unit, "ns");
	return craft_rec(c, PM_REC_DECLARE, 100, &d, sizeof(d));
}

/* kind 0x100 "outcome": field 0 "result" (enum), field 1 "objects" */
static size_t craft_kind(struct craft *c, unsigned int type, unsigned int cls)
{
	unsigned char b[sizeof(struct pm_rec_declare) + 2 * sizeof(struct pm_field)];
	struct pm_rec_declare d;
	struct pm_field f[2];

	memset(&d, 0, sizeof(d));
	memset(f, 0, sizeof(f));
	d.class = (unsigned short)cls;
	d.id = (unsigned short)type;
	d.nfields = 2;
	snprintf(d.name, sizeof(d.name), "kind%x", type);
	strcpy(f[0].name, cls == PM_DECL_SPAN ? "dur" : "result");
	strcpy(f[0].unit, cls == PM_DECL_SPAN ? "ns" : "");
	f[0].flags = cls == PM_DECL_SPAN ? 0 : PM_FIELD_ENUM;
	strcpy(f[1].name, "objects");
	memcpy(b, &d, sizeof(d));
	memcpy(b + sizeof(d), f, sizeof(f));
	return craft_rec(c, PM_REC_DECLARE, 100, b, sizeof(b));
}

static size_t craft_hist(struct craft *c, const char *name, const struct pm_hist *hh)
{
	struct pm_rec_hist h;

	memset(&h, 0, sizeof(h));
	memcpy(h.name, name, PM_NAME_LEN);	/* all of it: bytes after the NUL too */
	strcpy(h.unit, "ns");
	h.hist = *hh;
	return craft_rec(c, PM_REC_HIST, 200, &h, sizeof(h));
}

/* @name: PM_NAME_LEN bytes, all copied */
/* Read @c whole (both ways); the error, or "" if it reads as complete. */
static const char *craft_read(struct craft *c, char err[PM_ERR_LEN], uint64_t *skipped)
{
	static struct pm_hist hists[PM_MAX_STAGES];
	char e2[PM_ERR_LEN] = "";
	struct pm_log_reader *r;
	struct pm_rec rec;
	int rc, fast;

	for (fast = 1; fast >= 0; fast--) {
		char *e = fast ? e2 : err;

		e[0] = 0;
		r = pm_log_open_mem(c->buf, c->len, e);
		if (!r)
			continue;
		while ((rc = fast ? pm_log_next_hist(r, &rec, hists) : pm_log_next(r, &rec)) > 0)
			;
		if (rc < 0)
			snprintf(e, PM_ERR_LEN, "%s", pm_log_error(r));
		if (skipped)
			*skipped = pm_log_skipped(r);
		pm_log_free(r);
	}
	if (strcmp(err, e2)) {
		fprintf(stderr, "  fast path: %s\n  slow path: %s\n", e2, err);
		snprintf(err, PM_ERR_LEN, "fast and slow paths disagree");
	}
	return err;
}

static void hist_of(struct pm_hist *h, const unsigned long long *v, int n)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++)
		pm_hist_add(h, v[i]);
}

TEST(inconsistent_histograms_are_refused)
{
	static const unsigned long long two[] = { 90, 100 };
	static struct craft c;
	struct pm_hist h;
	char err[PM_ERR_LEN];
	size_t at;
	int how;
	static const char *const want[] = {
		"",					/* as built: accepted */
		"histogram count disagrees with its slots",	/* count 1000 from 2 values */
		"histogram count disagrees with its slots",	/* count > 0, every slot empty */
		"histogram max outside its highest slot",
		"histogram max outside its highest slot",	/* max below the top slot */
		"histogram sum outside its slots' bounds",	/* sum too small */
		"histogram sum outside its slots' bounds",	/* sum too large */
		"empty histogram with a sum or max",
		"histogram slots overflow their count",
		"bad histogram name or unit",			/* name not terminated */
		"bad histogram name or unit",			/* newline, then !cmd */
		"bad histogram name or unit",			/* bytes after the NUL */
		"histogram or counter name used twice",
	};

	for (how = 0; how < (int)(sizeof(want) / sizeof(want[0])); how++) {
		char name[PM_NAME_LEN + 1] = "copy_ns";

		craft_header(&c, 3, "t");
		hist_of(&h, two, 2);
		switch (how) {
		case 1: h.count = 1000; break;
		case 2: memset(h.slots, 0, sizeof(h.slots)); break;
		case 3: h.max = 5000; break;
		case 4: h.max = 80; break;
		case 5: h.sum = 10; break;
		case 6: h.sum = 1000; break;
		case 7: memset(&h, 0, sizeof(h)); h.sum = 1; break;
		case 8: h.slots[1] = UINT64_MAX; h.slots[2] = 3; h.count = 1; break;
		case 9: memset(name, 'a', PM_NAME_LEN); break;
		case 10: strcpy(name, "x\n!touch /tmp/pwned"); break;
		case 11: name[9] = 'z'; break;
		}
		at = craft_hist(&c, name, &h);
		if (how == 12)
			at = craft_hist(&c, name, &h);
		craft_end(&c);
		craft_read(&c, err, NULL);
		if (!want[how][0]) {
			CHECK(!err[0], "case %d: %s", how, err);
			continue;
		}
		CHECK(strstr(err, want[how]), "case %d: %s", how, err);
		{
			char off[64];

			snprintf(off, sizeof(off), "at offset %zu", at);
			CHECK(strstr(err, off), "case %d: no '%s' in %s", how, off, err);
		}
	}
}

TEST(records_out_of_order_or_undeclared_are_refused)
{
	static struct craft c;
	char err[PM_ERR_LEN];
	uint64_t v[2] = { 1, 2 }, skipped = 0;
	struct pm_rec_counter cn;
	struct pm_rec_label l;
	unsigned char slices[8 + 8 + 8 * 7 + 4 * 8 * 0 + 64] __attribute__((aligned(8)));
	struct pm_rec_slices sh = { .n = 1 };
	unsigned long long big = 1ULL << 63;
	size_t at;
	int how;
	static const char *const want[] = {
		"record time before the log's start",
		"record of an undeclared kind",
		"unknown record type",
		"record kind declared twice",
		"stage name declared twice",
		"label of a field that is not an enumeration",
		"label declared twice",
		"counter with a bad availability, padding or value",
		"durations of a stage overflow their sum",
		"end record's lost events disagree with the header's",
		"",		/* an optional record: skipped */
		"damaged header at offset 16",	/* tool with a newline */
		"span whose field 0 is not a duration in ns",
		"span longer than the time it ended at",
	};

	for (how = 0; how < (int)(sizeof(want) / sizeof(want[0])); how++) {
		craft_header(&c, 3, how == 11 ? "t\nsystem \"id\"" : "t");
		craft_stage(&c, 0, "a");
		craft_kind(&c, 0x100, PM_DECL_EVENT);
		at = 0;
		memset(&cn, 0, sizeof(cn));
		strcpy(cn.name, "n");
		memset(&l, 0, sizeof(l));
		l.kind = 0x100;
		strcpy(l.name, "ok");
		switch (how) {
		case 0: at = craft_rec(&c, PM_REC_COUNTER, 99, &cn, sizeof(cn)); break;
		case 1: at = craft_rec(&c, 0x101, 200, v, sizeof(v)); break;
		case 2: at = craft_rec(&c, 9, 200, v, sizeof(v)); break;
		case 3: at = craft_kind(&c, 0x100, PM_DECL_EVENT); break;
		case 4: at = craft_stage(&c, 1, "a"); break;
		case 5: l.field = 1; at = craft_rec(&c, PM_REC_LABEL, 200, &l, sizeof(l)); break;
		case 6:
			craft_rec(&c, PM_REC_LABEL, 200, &l, sizeof(l));
			l.value = 1;		/* another value, the same name */
			at = craft_rec(&c, PM_REC_LABEL, 200, &l, sizeof(l));
			break;
		case 7: cn.value = 5; at = craft_rec(&c, PM_REC_COUNTER, 200, &cn, sizeof(cn)); break;
		case 8:
			memset(slices, 0, sizeof(slices));
			memcpy(slices, &sh, sizeof(sh));
			memcpy(slices + 16, &big, 8);	/* dur */
			memcpy(slices + 24, &big, 8);	/* end */
			craft_rec(&c, PM_REC_SLICES, big, slices, pm_slices_size(1));
			at = craft_rec(&c, PM_REC_SLICES, big, slices, pm_slices_size(1));
			break;
		case 9: ((struct pm_log_header *)c.buf)->flags = PM_LOG_COMPLETE;
			((struct pm_log_header *)c.buf)->lost_events = 3;
			break;
		case 10: craft_rec(&c, PM_REC_OPTIONAL | 1, 200, v, sizeof(v)); break;
		case 12: at = craft_kind(&c, 0x102, PM_DECL_SPAN);
			/* field 0 "dur" with unit "ns" is right; make it a count */
			memset(c.buf + at + 16 + sizeof(struct pm_rec_declare) + PM_FIELD_NAME_LEN, 0, 2);
			break;
		case 13: {
			uint64_t sp[2] = { 300, 1 };	/* 300 ns, ending at 200 */

			craft_kind(&c, 0x102, PM_DECL_SPAN);
			at = craft_rec(&c, 0x102, 200, sp, sizeof(sp));
			break;
		}
		}
		craft_end(&c);
		if (how == 9)
			at = c.len - 32;
		craft_read(&c, err, &skipped);
		if (!want[how][0]) {
			CHECK(!err[0] && skipped == 1, "case %d: %s, %llu skipped", how, err,
			      (unsigned long long)skipped);
			continue;
		}
		CHECK(strstr(err, want[how]), "case %d: %s", how, err);
		if (at) {
			char off[64];

			snprintf(off, sizeof(off), "at offset %zu", at);
			CHECK(strstr(err, off), "case %d: no '%s' in %s", how, off, err);
		}
	}
}

/* Version 2 logs recorded in the VM still read, upgraded to version 3. */
TEST(version_2_logs_read_as_version_3)
{
	static const char *const logs[] = { "tests/data/migratevma-patched.log",
					    "tests/data/migratevma-stock.log" };
	char err[PM_ERR_LEN];
	struct pm_log_reader *r;
	struct pm_rec rec;
	int i, rc, decl, hist, cnt;

	for (i = 0; i < 2; i++) {
		r = pm_log_open(logs[i], err);
		CHECK(r, "%s (run from the top of the tree)", err);
		CHECK(pm_log_header(r)->version == 2, "version");
		decl = hist = cnt = 0;
		while ((rc = pm_log_next(r, &rec)) > 0) {
			if (rec.hdr.type == PM_REC_DECLARE) {
				const struct pm_rec_declare *d = rec.payload;

				decl += d->class == PM_DECL_STAGE && !strcmp(d->unit, "ns");
			} else if (rec.hdr.type == PM_REC_HIST) {
				hist += !strcmp(((const struct pm_rec_hist *)rec.payload)->unit, "ns");
			} else if (rec.hdr.type == PM_REC_COUNTER) {
				cnt++;
			}
		}
		CHECK(rc == 0, "%s", pm_log_error(r));
		CHECK(decl == 6 && hist == 7 && cnt == 22 && !strcmp(pm_log_stage_name(r, 5), "finalize"),
		      "%s: %d stages, %d histograms, %d counters", logs[i], decl, hist, cnt);
		pm_log_free(r);
	}
}

/* What the writer refuses, and the declared kinds' round trip. */
TEST(writer_refuses_what_a_reader_would)
{
	static const char *const bad_stage[] = { "x\n!id" };
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_rec_hist h;
	struct pm_rec rec;
	struct pm_field f[2];
	const struct pm_kind *k;
	uint64_t v[2] = { 1500, 3 };
	int rc, events = 0;

	snprintf(path, sizeof(path), "/tmp/pm-test-r.%d", getpid());
	CHECK(!pm_log_create(path, "t\n!id", "k", "", 0, err) && strstr(err, "printable"),
	      "tool with a newline: %s", err);
	CHECK(!pm_log_create(path, "t", "k\x7f", "", 0, err), "kernel with DEL");
	w = pm_log_create(path, "t", "k", "", 0, err);
	CHECK(w, "%s", err);
	CHECK(pm_log_name_stages(w, bad_stage, 1) < 0, "stage name with a newline written");
	CHECK(pm_log_close(w, 0, err) < 0 && strstr(err, "bad name"), "%s", err);

	w = pm_log_create(path, "t", "k", "", 0, err);
	CHECK(w, "%s", err);
	memset(&h, 0, sizeof(h));
	strcpy(h.name, "copy_ns");
	pm_hist_add(&h.hist, 5);
	h.hist.count = 1000;
	CHECK(pm_log_write(w, PM_REC_HIST, 0, 1, &h, sizeof(h)) < 0, "inconsistent histogram written");
	CHECK(pm_log_close(w, 0, err) < 0 && strstr(err, "count disagrees"), "%s", err);

	w = pm_log_create(path, "t", "k", "", 10, err);
	CHECK(w, "%s", err);
	CHECK(pm_log_event(w, 0x100, 0, 20, v, 2) < 0, "event of an undeclared kind written");
	pm_log_close(w, 0, err);

	memset(f, 0, sizeof(f));
	strcpy(f[0].name, "dur");
	strcpy(f[0].unit, "ns");
	strcpy(f[1].name, "pfns");
	strcpy(f[1].unit, "pages");
	w = pm_log_create(path, "balloonlat", "k", "", 10, err);
	CHECK(w, "%s", err);
	CHECK(!pm_log_declare(w, 0x200, PM_DECL_SPAN, "tell_host", f, 2) &&
	      !pm_log_event(w, 0x200, 1, 2000, v, 2) && !pm_log_event(w, 0x200, 1, 3000, v, 2) &&
	      !pm_log_close(w, 0, err), "%s", err);
	r = pm_log_open(path, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0) {
		if (rec.hdr.type != 0x200)
			continue;
		k = pm_log_kind(r, 0x200);
		CHECK(k && k->decl.class == PM_DECL_SPAN && !strcmp(k->fields[1].unit, "pages") &&
		      ((const uint64_t *)rec.payload)[1] == 3, "kind or payload");
		events++;
	}
	CHECK(rc == 0 && events == 2, "rc %d, %d events: %s", rc, events, pm_log_error(r));
	pm_log_free(r);
	unlink(path);
}

UNIT_MAIN
