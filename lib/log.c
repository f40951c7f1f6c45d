// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

_Static_assert(sizeof(struct pm_log_header) == PM_LOG_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct pm_rec_hdr) == 16, "record header size");

struct pm_log_writer {
	FILE *f;
	struct pm_log_header hdr;
	char path[256];
	uint64_t nr_records;
	int failed;
	char err[PM_ERR_LEN];
};

struct pm_log_reader {
	FILE *f;
	char path[256];
	struct pm_log_header hdr;
	uint64_t nr_records;
	uint64_t offset;
	uint64_t lost;
	int done;
	char err[PM_ERR_LEN];
	/* Aligned: callers read payloads through their struct types. */
	unsigned char payload[sizeof(struct pm_rec_hist)] __attribute__((aligned(8)));
};

static void seterr(char *err, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, PM_ERR_LEN, "%s: ", path);
	if (n < 0 || n >= PM_ERR_LEN)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, PM_ERR_LEN - n, fmt, ap);
	va_end(ap);
}

size_t pm_rec_size(enum pm_rec_type type)
{
	switch (type) {
	case PM_REC_STAGE:
		return sizeof(struct pm_rec_stage);
	case PM_REC_HIST:
		return sizeof(struct pm_rec_hist);
	case PM_REC_COUNTER:
		return sizeof(struct pm_rec_counter);
	case PM_REC_END:
		return sizeof(struct pm_rec_end);
	}
	return 0;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	memset(dst, 0, len);
	if (src)
		strncpy(dst, src, len - 1);
}

struct pm_log_writer *pm_log_create(const char *path, const char *tool,
				    const char *kernel, const char *hooks,
				    uint64_t start_ns, char err[PM_ERR_LEN])
{
	struct pm_log_writer *w = calloc(1, sizeof(*w));
	struct pm_log_header hdr;

	if (!w) {
		seterr(err, path, "out of memory");
		return NULL;
	}
	copy_str(w->path, sizeof(w->path), path);
	w->f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!w->f) {
		seterr(err, path, "cannot create: %s", strerror(errno));
		free(w);
		return NULL;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, PM_LOG_MAGIC, sizeof(hdr.magic));
	hdr.version = PM_LOG_VERSION;
	hdr.header_size = PM_LOG_HEADER_SIZE;
	copy_str(hdr.tool, sizeof(hdr.tool), tool);
	copy_str(hdr.kernel, sizeof(hdr.kernel), kernel);
	copy_str(hdr.hooks, sizeof(hdr.hooks), hooks);
	hdr.clock = PM_CLOCK_MONOTONIC;
	hdr.start_ns = start_ns;
	w->hdr = hdr;
	if (fwrite(&hdr, sizeof(hdr), 1, w->f) != 1) {
		seterr(err, path, "cannot write the header: %s", strerror(errno));
		if (w->f != stdout)
			fclose(w->f);
		free(w);
		return NULL;
	}
	return w;
}

int pm_log_write(struct pm_log_writer *w, enum pm_rec_type type, uint32_t cpu,
		 uint64_t ts_ns, const void *payload, size_t size)
{
	struct pm_rec_hdr h = { .type = type, .size = (unsigned short)size,
				.cpu = cpu, .ts_ns = ts_ns };

	if (w->failed)
		return -1;
	if (type == PM_REC_END || size != pm_rec_size(type)) {
		seterr(w->err, w->path, "bad record (type %d, %zu bytes)", type, size);
		w->failed = 1;
		return -1;
	}
	if (fwrite(&h, sizeof(h), 1, w->f) != 1 || fwrite(payload, size, 1, w->f) != 1) {
		seterr(w->err, w->path, "write failed: %s", strerror(errno));
		w->failed = 1;
		return -1;
	}
	w->nr_records++;
	return 0;
}

const char *pm_log_writer_error(const struct pm_log_writer *w)
{
	return w->err;
}

int pm_log_close(struct pm_log_writer *w, uint64_t lost_events, char err[PM_ERR_LEN])
{
	struct pm_rec_end end = { .lost_events = lost_events, .nr_records = w->nr_records };
	struct pm_rec_hdr h = { .type = PM_REC_END, .size = sizeof(end) };
	int rc = w->failed ? -1 : 0;

	if (w->failed)
		memcpy(err, w->err, PM_ERR_LEN);
	if (!rc && (fwrite(&h, sizeof(h), 1, w->f) != 1 ||
		    fwrite(&end, sizeof(end), 1, w->f) != 1 || fflush(w->f))) {
		seterr(err, w->path, "cannot write the end record: %s", strerror(errno));
		rc = -1;
	}
	/* A seekable file also gets the final counts in its header. */
	if (!rc && fseek(w->f, 0, SEEK_SET) == 0) {
		w->hdr.flags |= PM_LOG_COMPLETE;
		w->hdr.lost_events = lost_events;
		if (fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1 || fflush(w->f)) {
			seterr(err, w->path, "cannot update the header: %s", strerror(errno));
			rc = -1;
		}
	}
	if (w->f != stdout && fclose(w->f) && !rc) {
		seterr(err, w->path, "close failed: %s", strerror(errno));
		rc = -1;
	}
	free(w);
	return rc;
}

static int nul_terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

static struct pm_log_reader *open_stream(FILE *f, const char *path, char err[PM_ERR_LEN])
{
	struct pm_log_reader *r = calloc(1, sizeof(*r));
	size_t n;

	if (!r) {
		seterr(err, path, "out of memory");
		goto fail;
	}
	r->f = f;
	copy_str(r->path, sizeof(r->path), path);
	n = fread(&r->hdr, 1, sizeof(r->hdr), f);
	if (n == 0) {
		seterr(err, path, "empty file, not a pagemove log");
		goto fail;
	}
	if (n < 8 || memcmp(r->hdr.magic, PM_LOG_MAGIC, 8)) {
		seterr(err, path, "not a pagemove log (bad magic)");
		goto fail;
	}
	if (n < sizeof(r->hdr)) {
		seterr(err, path, "truncated header (%zu of %d bytes)", n, PM_LOG_HEADER_SIZE);
		goto fail;
	}
	if (r->hdr.version != PM_LOG_VERSION) {
		seterr(err, path, "log format version %u, this build reads version %d",
		       r->hdr.version, PM_LOG_VERSION);
		goto fail;
	}
	if (r->hdr.header_size != PM_LOG_HEADER_SIZE || r->hdr.clock != PM_CLOCK_MONOTONIC ||
	    !nul_terminated(r->hdr.tool, sizeof(r->hdr.tool)) ||
	    !nul_terminated(r->hdr.kernel, sizeof(r->hdr.kernel)) ||
	    !nul_terminated(r->hdr.hooks, sizeof(r->hdr.hooks))) {
		seterr(err, path, "damaged header");
		goto fail;
	}
	r->offset = sizeof(r->hdr);
	return r;
fail:
	if (f && f != stdin)
		fclose(f);
	free(r);
	return NULL;
}

struct pm_log_reader *pm_log_open(const char *path, char err[PM_ERR_LEN])
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f) {
		seterr(err, path, "cannot open: %s", strerror(errno));
		return NULL;
	}
	return open_stream(f, path, err);
}

struct pm_log_reader *pm_log_open_mem(const void *buf, size_t len, char err[PM_ERR_LEN])
{
	FILE *f = len ? fmemopen((void *)buf, len, "rb") : NULL;

	if (!len) {
		seterr(err, "(memory)", "empty file, not a pagemove log");
		return NULL;
	}
	if (!f) {
		seterr(err, "(memory)", "fmemopen: %s", strerror(errno));
		return NULL;
	}
	return open_stream(f, "(memory)", err);
}

const struct pm_log_header *pm_log_header(const struct pm_log_reader *r)
{
	return &r->hdr;
}

static int damaged(struct pm_log_reader *r, const char *what)
{
	seterr(r->err, r->path, "%s at offset %llu (after %llu records)", what,
	       (unsigned long long)r->offset, (unsigned long long)r->nr_records);
	r->done = -1;
	return -1;
}

int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec)
{
	size_t n, want;

	if (r->done)
		return r->done > 0 ? 0 : -1;
	n = fread(&rec->hdr, 1, sizeof(rec->hdr), r->f);
	if (n == 0)
		return damaged(r, "truncated: no end record");
	if (n < sizeof(rec->hdr))
		return damaged(r, "truncated record header");
	want = pm_rec_size(rec->hdr.type);
	if (!want)
		return damaged(r, "unknown record type");
	if (rec->hdr.size != want)
		return damaged(r, "record of the wrong size");
	if (fread(r->payload, 1, want, r->f) != want)
		return damaged(r, "truncated record");
	rec->payload = r->payload;
	r->offset += sizeof(rec->hdr) + want;
	if (rec->hdr.type == PM_REC_END) {
		const struct pm_rec_end *end = (const void *)r->payload;

		if (end->nr_records != r->nr_records)
			return damaged(r, "end record counts other records than the log holds");
		if (fgetc(r->f) != EOF)
			return damaged(r, "data after the end record");
		r->lost = end->lost_events;
		r->done = 1;
		return 0;
	}
	if (rec->hdr.type == PM_REC_STAGE || rec->hdr.type == PM_REC_HIST ||
	    rec->hdr.type == PM_REC_COUNTER) {
		/* Names are strings: the first field of these payloads. */
		if (!nul_terminated((const char *)r->payload +
				    (rec->hdr.type == PM_REC_STAGE ?
				     offsetof(struct pm_rec_stage, stage) : 0), PM_NAME_LEN))
			return damaged(r, "unterminated name in record");
	}
	r->nr_records++;
	return 1;
}

uint64_t pm_log_lost(const struct pm_log_reader *r)
{
	return r->lost;
}

const char *pm_log_error(const struct pm_log_reader *r)
{
	return r->err;
}

void pm_log_free(struct pm_log_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	free(r);
}
