// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
	FILE *f;			/* stream: stdin, pipes */
	const unsigned char *mem;	/* memory: mapped files, buffers */
	size_t len, pos;
	void *map;			/* what to munmap */
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

/*
 * The next @n bytes: a pointer into the mapping when it is aligned for the
 * record types, else a copy in @buf; NULL when fewer remain (*got says how
 * many there were).
 */
static const void *take(struct pm_log_reader *r, size_t n, void *buf, size_t *got)
{
	const unsigned char *p;

	if (!r->mem) {
		*got = fread(buf, 1, n, r->f);
		return *got == n ? buf : NULL;
	}
	if (r->len - r->pos < n) {
		*got = r->len - r->pos;
		r->pos = r->len;
		return NULL;
	}
	p = r->mem + r->pos;
	r->pos += n;
	*got = n;
	if ((uintptr_t)p & 7) {
		memcpy(buf, p, n);
		return buf;
	}
	return p;
}

static bool at_end(struct pm_log_reader *r)
{
	return r->mem ? r->pos == r->len : fgetc(r->f) == EOF;
}

static void release(struct pm_log_reader *r)
{
	if (r->map)
		munmap(r->map, r->len);
	if (r->f && r->f != stdin)
		fclose(r->f);
	free(r);
}

/* Check the header of a reader set up by the callers below. */
static struct pm_log_reader *start(struct pm_log_reader *r, char err[PM_ERR_LEN])
{
	size_t n;

	if (r->mem) {
		n = r->len < sizeof(r->hdr) ? r->len : sizeof(r->hdr);
		memcpy(&r->hdr, r->mem, n);
		r->pos = n;
	} else {
		n = fread(&r->hdr, 1, sizeof(r->hdr), r->f);
	}
	if (n == 0) {
		seterr(err, r->path, "empty file, not a pagemove log");
		goto fail;
	}
	if (n < 8 || memcmp(r->hdr.magic, PM_LOG_MAGIC, 8)) {
		seterr(err, r->path, "not a pagemove log (bad magic)");
		goto fail;
	}
	if (n < sizeof(r->hdr)) {
		seterr(err, r->path, "truncated header (%zu of %d bytes)", n, PM_LOG_HEADER_SIZE);
		goto fail;
	}
	if (r->hdr.version != PM_LOG_VERSION) {
		seterr(err, r->path, "log format version %u, this build reads version %d",
		       r->hdr.version, PM_LOG_VERSION);
		goto fail;
	}
	if (r->hdr.header_size != PM_LOG_HEADER_SIZE || r->hdr.clock != PM_CLOCK_MONOTONIC ||
	    !nul_terminated(r->hdr.tool, sizeof(r->hdr.tool)) ||
	    !nul_terminated(r->hdr.kernel, sizeof(r->hdr.kernel)) ||
	    !nul_terminated(r->hdr.hooks, sizeof(r->hdr.hooks))) {
		seterr(err, r->path, "damaged header");
		goto fail;
	}
	r->offset = sizeof(r->hdr);
	return r;
fail:
	release(r);
	return NULL;
}

struct pm_log_reader *pm_log_open(const char *path, char err[PM_ERR_LEN])
{
	struct pm_log_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd;

	if (!r) {
		seterr(err, path, "out of memory");
		return NULL;
	}
	copy_str(r->path, sizeof(r->path), path);
	if (!strcmp(path, "-")) {
		r->f = stdin;
		return start(r, err);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, path, "cannot open: %s", strerror(errno));
		free(r);
		return NULL;
	}
	/* Regular files are mapped: reading is then a walk over memory. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		r->map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
		} else {
			r->mem = r->map;
			r->len = st.st_size;
			madvise(r->map, r->len, MADV_SEQUENTIAL);
			close(fd);
			return start(r, err);
		}
	}
	r->f = fdopen(fd, "rb");
	if (!r->f) {
		seterr(err, path, "cannot open: %s", strerror(errno));
		close(fd);
		free(r);
		return NULL;
	}
	return start(r, err);
}

struct pm_log_reader *pm_log_open_mem(const void *buf, size_t len, char err[PM_ERR_LEN])
{
	struct pm_log_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		seterr(err, "(memory)", "out of memory");
		return NULL;
	}
	copy_str(r->path, sizeof(r->path), "(memory)");
	r->mem = buf;
	r->len = len;
	return start(r, err);
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
	struct pm_rec_hdr hbuf;
	const struct pm_rec_hdr *h;
	const void *payload;
	size_t n, want;

	if (r->done)
		return r->done > 0 ? 0 : -1;
	h = take(r, sizeof(*h), &hbuf, &n);
	if (!h)
		return damaged(r, n ? "truncated record header" : "truncated: no end record");
	rec->hdr = *h;
	want = pm_rec_size(rec->hdr.type);
	if (!want)
		return damaged(r, "unknown record type");
	if (rec->hdr.size != want)
		return damaged(r, "record of the wrong size");
	payload = take(r, want, r->payload, &n);
	if (!payload)
		return damaged(r, "truncated record");
	rec->payload = payload;
	r->offset += sizeof(rec->hdr) + want;
	if (rec->hdr.type == PM_REC_END) {
		const struct pm_rec_end *end = payload;

		if (end->nr_records != r->nr_records)
			return damaged(r, "end record counts other records than the log holds");
		if (!at_end(r))
			return damaged(r, "data after the end record");
		r->lost = end->lost_events;
		r->done = 1;
		return 0;
	}
	/* Names are strings: NUL-terminated within their field. */
	if (!nul_terminated((const char *)payload +
			    (rec->hdr.type == PM_REC_STAGE ? offsetof(struct pm_rec_stage, stage) : 0),
			    PM_NAME_LEN))
		return damaged(r, "unterminated name in record");
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
	if (r)
		release(r);
}
