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
	const struct pm_rec_name *nm;
	const struct pm_rec_counter *c;
	const struct pm_rec_hist *hi;
	struct pm_rec rec;

	CHECK(buf, "no sample");
	r = pm_log_open_mem(buf, len, err);
	CHECK(r, "open: %s", err);
	h = pm_log_header(r);
	CHECK(!strcmp(h->tool, "migratevma") && !strcmp(h->kernel, "7.3.0-rc7-pagemove") &&
	      !strcmp(h->hooks, "collect=tp_btf") && h->start_ns == 1000 &&
	      h->version == 2 && h->flags == PM_LOG_COMPLETE && h->lost_events == 7,
	      "header fields");
	CHECK(!pm_log_stage_name(r, 0), "nothing named before the records");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_NAME, "name record");
	nm = rec.payload;
	CHECK(nm->id == 0 && !strcmp(nm->name, "collect") &&
	      !strcmp(pm_log_stage_name(r, 0), "collect") && !pm_log_stage_name(r, 1),
	      "name payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_NAME &&
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
	CHECK(!strcmp(c->name, "skip.pinned") && c->value == 3 && c->available == 1, "counter payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_HIST, "hist");
	hi = rec.payload;
	CHECK(hi->hist.count == 2 && hi->hist.max == 90000 &&
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
	h->version = 3;
	CHECK(read_all(buf, len, err, &nrec) < 0 && strstr(err, "version 3, this build reads version 2"),
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
#define AT_SLICES	(PM_LOG_HEADER_SIZE + 2 * (16 + sizeof(struct pm_rec_name)))
#define AT_N		(AT_SLICES + 16)
#define AT_STAGE	(AT_N + sizeof(struct pm_rec_slices))

static const char *broken(int how, char err[PM_ERR_LEN], int fast)
{
	static const char *const names[] = { "collect", "unmap" };
	char path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_slice sl = { .dur_ns = 10 };
	struct pm_rec_name nm = { .id = 1, .name = "again" };
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
	if (how == 6)		/* a stage number named twice */
		pm_log_write(w, PM_REC_NAME, 0, 1, &nm, sizeof(nm));
	if (how == 7) {		/* a name beyond the table */
		nm.id = PM_MAX_STAGES;
		pm_log_write(w, PM_REC_NAME, 0, 1, &nm, sizeof(nm));
	}
	pm_log_slice(w, &sl);
	pm_log_close(w, 0, err);
	switch (how) {		/* what the writer would not write: patched in */
	case 0: at = AT_STAGE, v = 2; break;		/* a stage nothing named */
	case 1: at = AT_STAGE, v = 70; break;		/* beyond the table */
	case 2: at = AT_STAGE + 1, v = 1; break;	/* padding */
	case 3: at = AT_N, v = 0; break;		/* no slices */
	case 4: at = AT_N + 1, v = 4; break;		/* 1025 slices */
	case 5: at = AT_N + 4, v = 1; break;		/* reserved */
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
		"slice of an unnamed stage number at offset 368",
		"slice of an unnamed stage number",
		"nonzero padding in slices record",
		"slices record with a bad count or reserved field",
		"slices record with a bad count or reserved field",
		"slices record with a bad count or reserved field",
		"stage number named twice",
		"stage number out of range in name record",
		"record of the wrong size",
		"slices record with a bad count or reserved field",
	};
	char err[PM_ERR_LEN];
	int how, fast;

	CHECK(AT_SLICES == 368, "layout");
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
		if (i % 99991 == 0)	/* now and then another record, a short batch */
			pm_log_write(w, PM_REC_COUNTER, 0, i, &c, sizeof(c));
		sl.op_id = i / 6;
		sl.end_ns = i;
		sl.stage = (unsigned int)(s % 6);
		sl.dur_ns = s >> (s % 50);
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

UNIT_MAIN
