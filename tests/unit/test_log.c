// SPDX-License-Identifier: GPL-2.0
/*
 * The event log: a round trip through a file, and every way a file can be
 * damaged (each truncation, each byte flipped, a newer version, trailing
 * data) gives an error message, never a crash or a "complete" log.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/hist.h"
#include "../../lib/log.h"
#include "unit.h"

static char tmpdir[] = "/tmp/pm-test-log.XXXXXX";

/* Write a small log with one record of each type; return its bytes. */
static unsigned char *sample(size_t *len, int *unit_failed)
{
	char err[PM_ERR_LEN], path[64];
	struct pm_log_writer *w;
	struct pm_rec_stage st = { .op_id = 42, .dur_ns = 1500, .pid = 7, .tgid = 7,
				   .stage = "collect", .pages = 512 };
	struct pm_rec_counter c = { .name = "skip.pinned", .value = 3, .available = 1 };
	struct pm_rec_hist h = { .name = "collect_ns" };
	unsigned char *buf = NULL;
	FILE *f;
	long n;

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
	if (pm_log_write(w, PM_REC_STAGE, 1, 2500, &st, sizeof(st)) ||
	    pm_log_write(w, PM_REC_COUNTER, 0, 2600, &c, sizeof(c)) ||
	    pm_log_write(w, PM_REC_HIST, 0, 2700, &h, sizeof(h)) ||
	    pm_log_close(w, 7, err)) {
		fprintf(stderr, "  write: %s\n", err);
		(*unit_failed)++;
		return NULL;
	}
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n)) || fread(buf, 1, n, f) != (size_t)n) {
		(*unit_failed)++;
		free(buf);
		buf = NULL;
	} else {
		*len = n;
	}
	if (f)
		fclose(f);
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
	const struct pm_rec_counter *c;
	const struct pm_rec_hist *hi;
	struct pm_rec rec;

	CHECK(buf, "no sample");
	r = pm_log_open_mem(buf, len, err);
	CHECK(r, "open: %s", err);
	h = pm_log_header(r);
	CHECK(!strcmp(h->tool, "migratevma") && !strcmp(h->kernel, "7.3.0-rc7-pagemove") &&
	      !strcmp(h->hooks, "collect=tp_btf") && h->start_ns == 1000 &&
	      h->flags == PM_LOG_COMPLETE && h->lost_events == 7, "header fields");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_STAGE && rec.hdr.cpu == 1 &&
	      rec.hdr.ts_ns == 2500, "stage record header");
	st = rec.payload;
	CHECK(st->op_id == 42 && st->dur_ns == 1500 && !strcmp(st->stage, "collect") &&
	      st->pages == 512, "stage payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_COUNTER, "counter");
	c = rec.payload;
	CHECK(!strcmp(c->name, "skip.pinned") && c->value == 3 && c->available == 1, "counter payload");
	CHECK(pm_log_next(r, &rec) == 1 && rec.hdr.type == PM_REC_HIST, "hist");
	hi = rec.payload;
	CHECK(hi->hist.count == 2 && hi->hist.max == 90000 &&
	      hi->hist.slots[pm_hist_slot(1500)] == 1, "hist payload");
	CHECK(pm_log_next(r, &rec) == 0 && pm_log_lost(r) == 7, "end record");
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
	      nrec == 3, "cut in the end record: %s", err);
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
			CHECK(nrec <= 3, "byte %zu: %d records", i, nrec);
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
	h->version = 2;
	CHECK(read_all(buf, len, err, &nrec) < 0 && strstr(err, "version 2"), "%s", err);
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

/* stdin and pipes are read as a stream, not mapped: same result. */
TEST(stream_reader_matches_the_mapped_one)
{
	char err[PM_ERR_LEN], path[64];
	size_t len = 0;
	unsigned char *buf = sample(&len, unit_failed);
	struct pm_log_reader *r;
	struct pm_rec rec;
	FILE *f;
	int n = 0, rc;

	CHECK(buf, "no sample");
	snprintf(path, sizeof(path), "/tmp/pm-test-s.%d", getpid());
	f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, len, f) == len && !fclose(f), "write");
	CHECK(freopen(path, "rb", stdin), "freopen");
	r = pm_log_open("-", err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0)
		n++;
	CHECK(rc == 0 && n == 3 && pm_log_lost(r) == 7, "rc %d, %d records", rc, n);
	pm_log_free(r);
	/* and a truncated stream is an error too */
	f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, len - 5, f) == len - 5 && !fclose(f), "write");
	CHECK(freopen(path, "rb", stdin), "freopen");
	r = pm_log_open("-", err);
	CHECK(r, "%s", err);
	while ((rc = pm_log_next(r, &rec)) > 0)
		;
	CHECK(rc < 0 && strstr(pm_log_error(r), "truncated record"), "%s", pm_log_error(r));
	pm_log_free(r);
	unlink(path);
	free(buf);
}

UNIT_MAIN
