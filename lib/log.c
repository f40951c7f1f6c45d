// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist_api.h"
#include "log_api.h"

_Static_assert(sizeof(struct pm_log_header) == PM_LOG_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct pm_rec_hdr) == 16, "record header size");
_Static_assert(sizeof(struct pm_rec_name) % 8 == 0 && sizeof(struct pm_rec_hist) % 8 == 0 &&
	       sizeof(struct pm_rec_counter) % 8 == 0 && sizeof(struct pm_rec_end) % 8 == 0 &&
	       sizeof(struct pm_rec_slices) % 8 == 0, "records keep 8-byte alignment");
_Static_assert(PM_MAX_STAGES == 64, "one bit per stage in pm_log_reader.named");

/* pm_slices_size(PM_SLICES_MAX), as a constant */
#define SLICES_MAX_SIZE (sizeof(struct pm_rec_slices) + PM_ALIGN8(PM_SLICES_MAX) + \
			 24 * PM_SLICES_MAX + 4 * PM_ALIGN8(4 * PM_SLICES_MAX))
_Static_assert(SLICES_MAX_SIZE <= 0xffff, "a full slices record fits its size field");

/* The columns of a PM_REC_SLICES payload of @n slices, by offset. */
struct columns {
	size_t stage, dur, end, op, pid, tgid, cpu, pages;
};

static void columns(unsigned int n, struct columns *c)
{
	c->stage = sizeof(struct pm_rec_slices);
	c->dur = c->stage + PM_ALIGN8(n);
	c->end = c->dur + 8 * (size_t)n;
	c->op = c->end + 8 * (size_t)n;
	c->pid = c->op + 8 * (size_t)n;
	c->tgid = c->pid + PM_ALIGN8(4 * n);
	c->cpu = c->tgid + PM_ALIGN8(4 * n);
	c->pages = c->cpu + PM_ALIGN8(4 * n);
}

struct pm_log_writer {
	FILE *f;
	struct pm_log_header hdr;
	char path[256];
	uint64_t nr_records;
	int failed;
	char err[PM_ERR_LEN];
	/* slices not written yet: a PM_REC_SLICES payload being filled */
	unsigned int nslices;
	struct pm_slice pending[PM_SLICES_MAX];
	unsigned char payload[SLICES_MAX_SIZE] __attribute__((aligned(8)));
};

/*
 * Files are read with pread(2), pipes with read(2), into one buffer: memory
 * stays the same whatever the log's length, and a reader can skip the
 * columns it does not want.  An in-memory log (tests, fuzzing) is the same
 * walk over the caller's bytes.
 */
#define READ_BUF	(512 << 10)
#define READ_AHEAD	(64 << 10)	/* the least a read asks for, usually */

struct pm_log_reader {
	int fd;				/* -1: in-memory log */
	int close_fd;
	int is_file;			/* pread(2) at any offset */
	uint64_t file_size;		/* as opened: a log being written ends there */
	const unsigned char *mem;	/* unread bytes are mem[pos, len) ... */
	size_t len, pos;
	uint64_t base;			/* ... and mem[0] is at this offset */
	unsigned char *buf;		/* fd readers: READ_BUF bytes */
	int eof;			/* 1: no more bytes, -1: a read failed */
	int done;
	char path[256];
	struct pm_log_header hdr;
	uint64_t nr_records;
	uint64_t offset;		/* of the record being read */
	uint64_t lost;
	uint64_t named;			/* bit n: stage n has a name */
	char names[PM_MAX_STAGES][PM_NAME_LEN];
	char err[PM_ERR_LEN];
	/* Aligned: callers read payloads through their struct types. */
	unsigned char payload[SLICES_MAX_SIZE] __attribute__((aligned(8)));
};

_Static_assert(READ_BUF >= sizeof(struct pm_rec_hdr) + SLICES_MAX_SIZE + READ_AHEAD &&
	       SLICES_MAX_SIZE >= sizeof(struct pm_rec_hist),
	       "the buffer holds the largest record, and some");

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

static const unsigned short rec_sizes[] = {
	[PM_REC_HIST] = sizeof(struct pm_rec_hist),
	[PM_REC_COUNTER] = sizeof(struct pm_rec_counter),
	[PM_REC_END] = sizeof(struct pm_rec_end),
	[PM_REC_NAME] = sizeof(struct pm_rec_name),
};

size_t pm_rec_size(enum pm_rec_type type)
{
	return (unsigned int)type < sizeof(rec_sizes) / sizeof(rec_sizes[0]) ? rec_sizes[type] : 0;
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
	setvbuf(w->f, NULL, _IOFBF, 256 << 10);
	if (fwrite(&hdr, sizeof(hdr), 1, w->f) != 1) {
		seterr(err, path, "cannot write the header: %s", strerror(errno));
		if (w->f != stdout)
			fclose(w->f);
		free(w);
		return NULL;
	}
	return w;
}

static int put(struct pm_log_writer *w, const struct pm_rec_hdr *h, const void *payload)
{
	if (fwrite(h, sizeof(*h), 1, w->f) != 1 || fwrite(payload, h->size, 1, w->f) != 1) {
		seterr(w->err, w->path, "write failed: %s", strerror(errno));
		w->failed = 1;
		return -1;
	}
	w->nr_records++;
	return 0;
}

/* Write the pending slices as one PM_REC_SLICES record. */
static int flush_slices(struct pm_log_writer *w)
{
	unsigned int n = w->nslices, i;
	const struct pm_slice *s = w->pending;
	unsigned char *p = w->payload;
	struct pm_rec_hdr h = { .type = PM_REC_SLICES, .size = (unsigned short)pm_slices_size(n) };
	struct pm_rec_slices hd = { .n = n };
	struct columns c;

	if (!n || w->failed)
		return w->failed ? -1 : 0;
	columns(n, &c);
	memset(p, 0, h.size);
	memcpy(p, &hd, sizeof(hd));
	for (i = 0; i < n; i++) {
		p[c.stage + i] = (unsigned char)s[i].stage;
		memcpy(p + c.dur + 8 * i, &s[i].dur_ns, 8);
		memcpy(p + c.end + 8 * i, &s[i].end_ns, 8);
		memcpy(p + c.op + 8 * i, &s[i].op_id, 8);
		memcpy(p + c.pid + 4 * i, &s[i].pid, 4);
		memcpy(p + c.tgid + 4 * i, &s[i].tgid, 4);
		memcpy(p + c.cpu + 4 * i, &s[i].cpu, 4);
		memcpy(p + c.pages + 4 * i, &s[i].pages, 4);
	}
	h.cpu = s[n - 1].cpu;
	h.ts_ns = s[n - 1].end_ns;
	w->nslices = 0;
	return put(w, &h, p);
}

int pm_log_slice(struct pm_log_writer *w, const struct pm_slice *s)
{
	if (w->failed)
		return -1;
	if (s->stage >= PM_MAX_STAGES) {
		seterr(w->err, w->path, "stage number %u, at most %d", s->stage, PM_MAX_STAGES - 1);
		w->failed = 1;
		return -1;
	}
	w->pending[w->nslices++] = *s;
	return w->nslices == PM_SLICES_MAX ? flush_slices(w) : 0;
}

int pm_log_write(struct pm_log_writer *w, enum pm_rec_type type, uint32_t cpu,
		 uint64_t ts_ns, const void *payload, size_t size)
{
	struct pm_rec_hdr h = { .type = type, .size = (unsigned short)size,
				.cpu = cpu, .ts_ns = ts_ns };

	if (w->failed)
		return -1;
	if (type == PM_REC_END || size != pm_rec_size(type) || !size) {
		seterr(w->err, w->path, "bad record (type %d, %zu bytes)", type, size);
		w->failed = 1;
		return -1;
	}
	if (flush_slices(w))
		return -1;
	return put(w, &h, payload);
}

int pm_log_name_stages(struct pm_log_writer *w, const char *const *names, unsigned int n)
{
	struct pm_rec_name rn;
	unsigned int i;

	if (n > PM_MAX_STAGES) {
		seterr(w->err, w->path, "%u stage names, at most %d", n, PM_MAX_STAGES);
		w->failed = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		memset(&rn, 0, sizeof(rn));
		rn.id = i;
		copy_str(rn.name, sizeof(rn.name), names[i]);
		if (pm_log_write(w, PM_REC_NAME, 0, w->hdr.start_ns, &rn, sizeof(rn)))
			return -1;
	}
	return 0;
}

int pm_log_close(struct pm_log_writer *w, uint64_t lost_events, char err[PM_ERR_LEN])
{
	struct pm_rec_end end = { .lost_events = lost_events };
	struct pm_rec_hdr h = { .type = PM_REC_END, .size = sizeof(end) };
	int rc;

	flush_slices(w);
	rc = w->failed ? -1 : 0;
	if (w->failed)
		memcpy(err, w->err, PM_ERR_LEN);
	end.nr_records = w->nr_records;
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
 * Make at least @n unread bytes available, reading @ahead more if they are
 * there; false if the log ends (or a read fails, r->eof < 0 and r->err
 * set) first.  Call only at the start of a record: the buffer keeps what
 * it moves 8-byte aligned.
 */
static bool fill(struct pm_log_reader *r, size_t n, size_t ahead)
{
	size_t have = r->len - r->pos, want;
	ssize_t got;

	if (have >= n)
		return true;
	if (r->fd < 0 || r->eof)
		return false;
	memmove(r->buf, r->mem + r->pos, have);
	r->base += r->pos;
	r->pos = 0;
	r->len = have;
	want = n + ahead < READ_BUF ? n + ahead : READ_BUF;
	while (r->len < n) {
		if (r->is_file) {
			uint64_t at = r->base + r->len;

			if (at >= r->file_size) {
				r->eof = 1;
				return false;
			}
			if (want - r->len > r->file_size - at)
				want = r->len + (size_t)(r->file_size - at);
			got = pread(r->fd, r->buf + r->len, want - r->len, (off_t)at);
		} else {
			got = read(r->fd, r->buf + r->len, READ_BUF - r->len);
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			seterr(r->err, r->path, "read failed: %s", strerror(errno));
			r->eof = -1;
			return false;
		}
		if (got == 0) {
			r->eof = 1;
			return false;
		}
		r->len += (size_t)got;
	}
	return true;
}

/* Are the @n bytes from the read position all there?  Reads them unless a file. */
static bool present(struct pm_log_reader *r, size_t n)
{
	if (r->is_file)
		return r->base + r->pos + n <= r->file_size;
	return fill(r, n, 0);
}

/* Step over @n bytes that present() said are there. */
static void consume(struct pm_log_reader *r, size_t n)
{
	if (r->len - r->pos >= n) {
		r->pos += n;
	} else {		/* a file: the rest was never read */
		r->base += r->pos + n;
		r->pos = r->len = 0;
	}
}

static void release(struct pm_log_reader *r)
{
	if (r->close_fd)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* Check the header of a reader set up by the callers below. */
static struct pm_log_reader *start(struct pm_log_reader *r, char err[PM_ERR_LEN])
{
	size_t n;

	fill(r, sizeof(r->hdr), READ_AHEAD);
	if (r->eof < 0) {
		memcpy(err, r->err, PM_ERR_LEN);
		goto fail;
	}
	n = r->len - r->pos < sizeof(r->hdr) ? r->len - r->pos : sizeof(r->hdr);
	memcpy(&r->hdr, r->mem + r->pos, n);
	r->pos += n;
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

	if (!r || !(r->buf = aligned_alloc(64, READ_BUF))) {
		seterr(err, path, "out of memory");
		free(r);
		return NULL;
	}
	copy_str(r->path, sizeof(r->path), path);
	r->mem = r->buf;
	if (!strcmp(path, "-")) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			seterr(err, path, "cannot open: %s", strerror(errno));
			free(r->buf);
			free(r);
			return NULL;
		}
		r->close_fd = 1;
	}
	if (!fstat(r->fd, &st) && S_ISREG(st.st_mode)) {
		off_t at = lseek(r->fd, 0, SEEK_CUR);	/* stdin may be part-read */

		r->is_file = 1;
		r->file_size = (uint64_t)st.st_size;
		r->base = at < 0 ? 0 : (uint64_t)at > r->file_size ? r->file_size : (uint64_t)at;
		posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
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
	r->fd = -1;
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
	/* A failed read says so itself. */
	if (r->eof >= 0)
		seterr(r->err, r->path, "%s at offset %llu (after %llu records)", what,
		       (unsigned long long)r->offset, (unsigned long long)r->nr_records);
	r->done = -1;
	return -1;
}

/* Are the @n entries of a stage column all named stages, the padding zero? */
static bool stages_named(const struct pm_log_reader *r, const unsigned char *stage, unsigned int n)
{
	unsigned int i, ok = 1;

	/* no branch per slice: PM_MAX_STAGES is 64, stage & 63 is stage if valid */
	for (i = 0; i < n; i++)
		ok &= (stage[i] < PM_MAX_STAGES) & (unsigned int)(r->named >> (stage[i] & 63));
	for (; i < PM_ALIGN8(n); i++)
		ok &= !stage[i];
	return ok & 1;
}

/* The checks beyond size that each record type's payload must pass. */
static int check(struct pm_log_reader *r, unsigned int type, const void *payload)
{
	switch (type) {
	case PM_REC_SLICES: {
		const struct pm_rec_slices *s = payload;

		const unsigned char *stage = (const unsigned char *)payload + sizeof(*s);
		unsigned int i;

		if (stages_named(r, stage, s->n))
			return 0;
		for (i = 0; i < s->n; i++)
			if (stage[i] >= PM_MAX_STAGES || !(r->named >> stage[i] & 1))
				return damaged(r, "slice of an unnamed stage number");
		return damaged(r, "nonzero padding in slices record");
	}
	case PM_REC_NAME: {
		const struct pm_rec_name *n = payload;

		if (n->id >= PM_MAX_STAGES)
			return damaged(r, "stage number out of range in name record");
		if (n->reserved)
			return damaged(r, "reserved field set in name record");
		if (!nul_terminated(n->name, PM_NAME_LEN))
			return damaged(r, "unterminated name in record");
		if (r->named >> n->id & 1)
			return damaged(r, "stage number named twice");
		memcpy(r->names[n->id], n->name, PM_NAME_LEN);
		r->named |= 1ULL << n->id;
		return 0;
	}
	case PM_REC_HIST:
	case PM_REC_COUNTER:
		/* both start with their name */
		if (!nul_terminated(payload, PM_NAME_LEN))
			return damaged(r, "unterminated name in record");
		return 0;
	}
	return 0;
}

/* The size a record's payload must have, from its first 8 bytes; 0: none. */
static size_t expected_size(unsigned int type, const unsigned char *first8)
{
	struct pm_rec_slices s;

	if (type != PM_REC_SLICES)
		return pm_rec_size(type);
	memcpy(&s, first8, sizeof(s));
	if (!s.n || s.n > PM_SLICES_MAX || s.reserved)
		return 0;
	return pm_slices_size(s.n);
}

int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec)
{
	const unsigned char *p;
	size_t want;

	if (r->done)
		return r->done > 0 ? 0 : -1;
	if (!fill(r, sizeof(rec->hdr) + 8, READ_AHEAD)) {
		if (r->len - r->pos >= sizeof(rec->hdr))
			return damaged(r, "truncated record");
		return damaged(r, r->len > r->pos ? "truncated record header" :
						    "truncated: no end record");
	}
	p = r->mem + r->pos;
	memcpy(&rec->hdr, p, sizeof(rec->hdr));
	if (rec->hdr.type != PM_REC_SLICES && !pm_rec_size(rec->hdr.type))
		return damaged(r, "unknown record type");
	want = expected_size(rec->hdr.type, p + sizeof(rec->hdr));
	if (!want)
		return damaged(r, "slices record with a bad count or reserved field");
	if (rec->hdr.size != want)
		return damaged(r, "record of the wrong size");
	if (!fill(r, sizeof(rec->hdr) + want, READ_AHEAD)) {
		r->pos = r->len;
		return damaged(r, "truncated record");
	}
	p = r->mem + r->pos + sizeof(rec->hdr);
	if ((uintptr_t)p & 7) {		/* only an in-memory log can be unaligned */
		memcpy(r->payload, p, want);
		p = r->payload;
	}
	rec->payload = p;
	r->pos += sizeof(rec->hdr) + want;
	if (rec->hdr.type == PM_REC_END) {
		const struct pm_rec_end *end = rec->payload;

		if (end->nr_records != r->nr_records)
			return damaged(r, "end record counts other records than the log holds");
		r->offset += sizeof(rec->hdr) + want;
		if (fill(r, 1, 0) || r->eof < 0)
			return damaged(r, "data after the end record");
		r->lost = end->lost_events;
		r->done = 1;
		return 0;
	}
	if (check(r, rec->hdr.type, rec->payload))
		return -1;
	r->offset += sizeof(rec->hdr) + want;
	r->nr_records++;
	return 1;
}

int pm_log_next_hist(struct pm_log_reader *r, struct pm_rec *rec, struct pm_hist *hists)
{
	const size_t hs = sizeof(struct pm_rec_hdr);
	const unsigned char *p, *stage, *dur;
	struct pm_rec_hdr h;
	struct pm_rec_slices s;
	unsigned int i;
	uint64_t d;

	/*
	 * Slices records, reading their stage and duration columns only; any
	 * other record, or one that fails a check, goes the general way,
	 * which also words the errors.
	 */
	while (!r->done && fill(r, hs + sizeof(s), PM_ALIGN8(PM_SLICES_MAX) + 8 * PM_SLICES_MAX)) {
		p = r->mem + r->pos;
		memcpy(&h, p, hs);
		memcpy(&s, p + hs, sizeof(s));
		if (h.type != PM_REC_SLICES || !h.size || expected_size(h.type, p + hs) != h.size ||
		    !fill(r, hs + sizeof(s) + PM_ALIGN8(s.n) + 8 * s.n, 0) || !present(r, hs + h.size))
			break;
		p = r->mem + r->pos;
		stage = p + hs + sizeof(s);
		dur = stage + PM_ALIGN8(s.n);
		if (!stages_named(r, stage, s.n))
			break;
		for (i = 0; i < s.n; i++) {
			memcpy(&d, dur + 8 * i, sizeof(d));
			pm_hist_add(&hists[stage[i]], d);
		}
		consume(r, hs + h.size);
		r->offset += hs + h.size;
		r->nr_records++;
	}
	return pm_log_next(r, rec);
}

unsigned int pm_slices_count(const struct pm_rec *rec)
{
	return ((const struct pm_rec_slices *)rec->payload)->n;
}

void pm_slices_get(const struct pm_rec *rec, unsigned int i, struct pm_slice *s)
{
	const unsigned char *p = rec->payload;
	struct columns c;

	columns(pm_slices_count(rec), &c);
	s->stage = p[c.stage + i];
	memcpy(&s->dur_ns, p + c.dur + 8 * i, 8);
	memcpy(&s->end_ns, p + c.end + 8 * i, 8);
	memcpy(&s->op_id, p + c.op + 8 * i, 8);
	memcpy(&s->pid, p + c.pid + 4 * i, 4);
	memcpy(&s->tgid, p + c.tgid + 4 * i, 4);
	memcpy(&s->cpu, p + c.cpu + 4 * i, 4);
	memcpy(&s->pages, p + c.pages + 4 * i, 4);
}

const char *pm_log_stage_name(const struct pm_log_reader *r, unsigned int id)
{
	return id < PM_MAX_STAGES && (r->named >> id & 1) ? r->names[id] : NULL;
}

uint64_t pm_log_records(const struct pm_log_reader *r)
{
	return r->nr_records;
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
