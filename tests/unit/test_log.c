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

#include "../../lib/hist.h"
#include "../../lib/log.h"
#include "unit.h"

static char tmpdir[] = "/tmp/pm-test-log.XXXXXX";

#define SAMPLE_RECORDS 7

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
 * Write a small log with records of each type (two names, an operation,
 * two stages, a counter, a histogram); return its bytes.
 */
static unsigned char *sample(size_t *len, int *unit_failed)
{
	static const char *const names[] = { "collect", "unmap" };
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_rec_op op = { .op_id = 42, .pid = 7, .tgid = 6 };
	struct pm_rec_stage st = { .dur_ns = 1500, .pages = 512, .stage = 0 };
	struct pm_rec_stage st2 = { .dur_ns = 2500, .pages = 511, .stage = 1 };
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
	    pm_log_write(w, PM_REC_OP, 1, 1000, &op, sizeof(op)) ||
	    pm_log_write(w, PM_REC_STAGE, 1, 2500, &st, sizeof(st)) ||
	    pm_log_write(w, PM_REC_STAGE, 1, 5000, &st2, sizeof(st2)) ||
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
	const struct pm_rec_stage *st;
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
	CHECK(!pm_log_op(r) && !pm_log_stage_name(r, 0), "nothing named before the records");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_NAME, "name record");
	nm = rec.payload;
	CHECK(nm->id == 0 && !strcmp(nm->name, "collect") &&
	      !strcmp(pm_log_stage_name(r, 0), "collect") && !pm_log_stage_name(r, 1),
	      "name payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_NAME &&
	      !strcmp(pm_log_stage_name(r, 1), "unmap"), "second name");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_OP && rec.hdr.cpu == 1 &&
	      pm_log_op(r) && pm_log_op(r)->op_id == 42 && pm_log_op(r)->pid == 7 &&
	      pm_log_op(r)->tgid == 6, "operation record");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_STAGE && rec.hdr.cpu == 1 &&
	      rec.hdr.ts_ns == 2500, "stage record header");
	st = rec.payload;
	CHECK(st->dur_ns == 1500 && st->stage == 0 && st->pages == 512 && !st->reserved,
	      "stage payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_STAGE && rec.hdr.ts_ns == 5000,
	      "second stage");
	st = rec.payload;
	CHECK(st->dur_ns == 2500 && st->stage == 1 && st->pages == 511, "second stage payload");
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

/* A log whose records break one rule: the first error must name it. */
static const char *broken(int how, char err[PM_ERR_LEN], int fast)
{
	static const char *const names[] = { "collect", "unmap" };
	char path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_rec_op op = { .op_id = 1 };
	struct pm_rec_stage st = { .dur_ns = 10 };
	struct pm_rec_name nm = { .id = 1, .name = "again" };
	struct pm_hist hists[PM_MAX_STAGES];
	struct pm_rec rec;
	int rc;

	snprintf(path, sizeof(path), "/tmp/pm-test-b.%d", getpid());
	w = pm_log_create(path, "t", "k", "", 0, err);
	if (!w)
		return err;
	pm_log_name_stages(w, names, 2);
	if (how != 0)		/* 0: a stage before any operation */
		pm_log_write(w, PM_REC_OP, 0, 1, &op, sizeof(op));
	if (how == 1)		/* a stage number nothing named */
		st.stage = 2;
	if (how == 2)		/* a stage number beyond the table */
		st.stage = PM_MAX_STAGES + 3;
	if (how == 3)		/* reserved bits */
		st.reserved = 1;
	if (how == 4)		/* a stage number named twice */
		pm_log_write(w, PM_REC_NAME, 0, 1, &nm, sizeof(nm));
	if (how == 5) {		/* a name beyond the table */
		nm.id = PM_MAX_STAGES;
		pm_log_write(w, PM_REC_NAME, 0, 1, &nm, sizeof(nm));
	}
	pm_log_write(w, PM_REC_STAGE, 0, 2, &st, sizeof(st));
	pm_log_close(w, 0, err);
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
		"stage record before any operation record",
		"stage record with an unnamed stage number",
		"stage record with an unnamed stage number",
		"reserved field set in stage record",
		"stage number named twice",
		"stage number out of range in name record",
	};
	char err[PM_ERR_LEN];
	int how, fast;

	for (fast = 0; fast < 2; fast++)
		for (how = 0; how < 6; how++)
			CHECK(strstr(broken(how, err, fast), want[how]), "case %d%s: %s", how,
			      fast ? " (pm_log_next_hist)" : "", err);
}

/*
 * A log over three mapping windows, records straddling their edges: the
 * histograms pm_log_next_hist() builds equal those of reading record by
 * record, from the file and from a pipe.
 */
TEST(fast_histograms_equal_record_by_record)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
	static struct pm_hist slow[PM_MAX_STAGES], fast[PM_MAX_STAGES], piped[PM_MAX_STAGES];
	const unsigned long n = 1600000;	/* ~55 MB */
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_log_reader *r;
	struct pm_rec_counter c = { .name = "x", .available = 1 };
	struct pm_rec_op op = { .pid = 1 };
	struct pm_rec_stage st = { 0 };
	struct pm_rec rec;
	uint64_t s = 7, records = 0, stages = 0, other = 0;
	unsigned char *buf;
	size_t len = 0;
	unsigned long i;
	int rc;

	snprintf(path, sizeof(path), "/tmp/pm-test-f.%d", getpid());
	w = pm_log_create(path, "t", "k", "", 0, err);
	CHECK(w, "%s", err);
	pm_log_name_stages(w, names, 6);
	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if (i % 6 == 0) {
			op.op_id = i;
			pm_log_write(w, PM_REC_OP, 0, i, &op, sizeof(op));
		}
		if (i % 99991 == 0)	/* now and then a record of another size */
			pm_log_write(w, PM_REC_COUNTER, 0, i, &c, sizeof(c));
		st.stage = (unsigned short)(s % 6);
		st.dur_ns = s >> (s % 50);
		pm_log_write(w, PM_REC_STAGE, 0, i, &st, sizeof(st));
	}
	CHECK(!pm_log_close(w, 0, err), "%s", err);

	r = pm_log_open(path, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0) {
		const struct pm_rec_stage *p = rec.payload;

		records++;
		if (rec.hdr.type == PM_REC_STAGE) {
			pm_hist_add(&slow[p->stage], p->dur_ns);
			stages++;
		} else {
			other++;
		}
	}
	CHECK(rc == 0 && stages == n && records == pm_log_records(r), "record by record: rc %d, %llu",
	      rc, (unsigned long long)stages);
	pm_log_free(r);

	r = pm_log_open(path, err);
	CHECK(r, "%s", err);
	records = 0;
	while ((rc = pm_log_next_hist(r, &rec, fast)) > 0)
		if (rec.hdr.type == PM_REC_STAGE)	/* the odd one it hands out */
			pm_hist_add(&fast[((const struct pm_rec_stage *)rec.payload)->stage],
				    ((const struct pm_rec_stage *)rec.payload)->dur_ns);
		else
			records++;
	CHECK(rc == 0 && records == other && pm_log_records(r) == n + other,
	      "fast: rc %d, %llu other records", rc, (unsigned long long)records);
	pm_log_free(r);
	CHECK(!memcmp(slow, fast, sizeof(slow)), "fast histograms differ");

	buf = slurp(path, &len);
	unlink(path);
	CHECK(buf, "read back");
	r = open_pipe(buf, len, err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next_hist(r, &rec, piped)) > 0)
		if (rec.hdr.type == PM_REC_STAGE)
			pm_hist_add(&piped[((const struct pm_rec_stage *)rec.payload)->stage],
				    ((const struct pm_rec_stage *)rec.payload)->dur_ns);
	CHECK(rc == 0, "pipe: %s", pm_log_error(r));
	pm_log_free(r);
	reap();
	free(buf);
	CHECK(!memcmp(slow, piped, sizeof(slow)), "histograms from a pipe differ");
}

UNIT_MAIN
