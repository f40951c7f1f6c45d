// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"
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

/*
 * Regular files are mapped a window at a time, pipes are read(2) into a
 * buffer: either way memory stays the same whatever the log's length, and
 * the hot loop walks plain memory.  An in-memory log (tests, fuzzing) is
 * the same walk over the caller's bytes.
 */
#define READ_BUF	(512 << 10)
#define MAP_WINDOW	(16 << 20)

struct pm_log_reader {
	int fd;				/* -1: in-memory log */
	int close_fd;
	const unsigned char *mem;	/* unread bytes are mem[pos, len) */
	size_t len, pos;
	unsigned char *buf;		/* pipes: READ_BUF bytes */
	void *map;			/* files: the mapped window ... */
	uint64_t map_off;		/* ... starts at this file offset */
	uint64_t file_size;
	size_t page;
	int eof;
	int done;
	char path[256];
	struct pm_log_header hdr;
	uint64_t nr_records;
	uint64_t offset;
	uint64_t lost;
	/* what stage records refer to */
	uint64_t named;			/* bit n: stage n has a name */
	int have_op;
	struct pm_rec_op op;
	char names[PM_MAX_STAGES][PM_NAME_LEN];
	char err[PM_ERR_LEN];
	/* Aligned: callers read payloads through their struct types. */
	unsigned char payload[sizeof(struct pm_rec_hist)] __attribute__((aligned(8)));
};

_Static_assert(PM_MAX_STAGES <= 64, "one bit per stage in pm_log_reader.named");
_Static_assert(sizeof(struct pm_rec_stage) % 8 == 0 && sizeof(struct pm_rec_op) % 8 == 0 &&
	       sizeof(struct pm_rec_name) % 8 == 0 && sizeof(struct pm_rec_hist) % 8 == 0 &&
	       sizeof(struct pm_rec_counter) % 8 == 0 && sizeof(struct pm_rec_end) % 8 == 0,
	       "records keep 8-byte alignment");
_Static_assert(READ_BUF >= sizeof(struct pm_rec_hdr) + sizeof(struct pm_rec_hist) &&
	       MAP_WINDOW >= READ_BUF, "a buffer or window holds the largest record");

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
	[PM_REC_STAGE] = sizeof(struct pm_rec_stage),
	[PM_REC_HIST] = sizeof(struct pm_rec_hist),
	[PM_REC_COUNTER] = sizeof(struct pm_rec_counter),
	[PM_REC_END] = sizeof(struct pm_rec_end),
	[PM_REC_NAME] = sizeof(struct pm_rec_name),
	[PM_REC_OP] = sizeof(struct pm_rec_op),
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
	/* Stage records are small and many: write in large blocks. */
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
 * Map the window that starts at the page of the first unread byte; true if
 * it holds @n unread bytes.  The file's size is the one it had when opened:
 * a log still being written ends there.
 */
static bool slide(struct pm_log_reader *r, size_t n)
{
	uint64_t at = r->map_off + r->pos, off = at & ~(uint64_t)(r->page - 1);
	size_t len = r->file_size - off < MAP_WINDOW ? r->file_size - off : MAP_WINDOW;
	void *m;

	if (r->map_off + r->len == r->file_size) {
		r->eof = 1;		/* the window already reaches the end */
		return false;
	}
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, r->fd, off);
	if (m == MAP_FAILED) {
		seterr(r->err, r->path, "cannot map: %s", strerror(errno));
		r->eof = -1;
		return false;
	}
	madvise(m, len, MADV_SEQUENTIAL);
	if (r->map)
		munmap(r->map, r->len + (size_t)(r->map_off & (r->page - 1)));
	r->map = m;
	r->mem = (const unsigned char *)m + (at - off);
	r->map_off = at;
	r->len = len - (at - off);
	r->pos = 0;
	return r->len >= n;
}

/*
 * Make at least @n unread bytes available; false if the log ends (or a
 * read fails, with r->err set) before that.
 */
static bool fill(struct pm_log_reader *r, size_t n)
{
	size_t have = r->len - r->pos;
	ssize_t got;

	if (have >= n)
		return true;
	if (r->fd < 0 || r->eof)
		return false;
	if (r->file_size)
		return slide(r, n);
	memmove(r->buf, r->mem + r->pos, have);
	r->pos = 0;
	r->len = have;
	while (r->len < n) {
		got = read(r->fd, r->buf + r->len, READ_BUF - r->len);
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
		r->len += got;
	}
	return true;
}

static void release(struct pm_log_reader *r)
{
	if (r->map)
		munmap(r->map, r->len + (size_t)(r->map_off & (r->page - 1)));
	if (r->close_fd)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* Check the header of a reader set up by the callers below. */
static struct pm_log_reader *start(struct pm_log_reader *r, char err[PM_ERR_LEN])
{
	size_t n;

	fill(r, sizeof(r->hdr));
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

	if (!r) {
		seterr(err, path, "out of memory");
		return NULL;
	}
	copy_str(r->path, sizeof(r->path), path);
	if (!strcmp(path, "-")) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			seterr(err, path, "cannot open: %s", strerror(errno));
			free(r);
			return NULL;
		}
		r->close_fd = 1;
	}
	if (!fstat(r->fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		r->file_size = (uint64_t)st.st_size;
		r->page = (size_t)sysconf(_SC_PAGESIZE);
	} else if (!(r->buf = aligned_alloc(64, READ_BUF))) {
		seterr(err, path, "out of memory");
		release(r);
		return NULL;
	}
	r->mem = r->buf;
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

/* A stage record refers to a named stage and follows an operation record. */
static inline bool stage_ok(const struct pm_log_reader *r, const struct pm_rec_stage *st)
{
	return st->stage < PM_MAX_STAGES && (r->named >> st->stage & 1) && !st->reserved &&
	       r->have_op;
}

/* The checks beyond size that each record type's payload must pass. */
static int check(struct pm_log_reader *r, unsigned int type, const void *payload)
{
	switch (type) {
	case PM_REC_STAGE: {
		const struct pm_rec_stage *st = payload;

		if (stage_ok(r, st))
			return 0;
		if (st->stage >= PM_MAX_STAGES || !(r->named >> st->stage & 1))
			return damaged(r, "stage record with an unnamed stage number");
		if (st->reserved)
			return damaged(r, "reserved field set in stage record");
		return damaged(r, "stage record before any operation record");
	}
	case PM_REC_OP:
		r->op = *(const struct pm_rec_op *)payload;
		r->have_op = 1;
		return 0;
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

int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec)
{
	const unsigned char *p;
	size_t want;

	if (r->done)
		return r->done > 0 ? 0 : -1;
	if (r->len - r->pos < sizeof(rec->hdr) && !fill(r, sizeof(rec->hdr)))
		return damaged(r, r->len > r->pos ? "truncated record header" :
						    "truncated: no end record");
	p = r->mem + r->pos;
	memcpy(&rec->hdr, p, sizeof(rec->hdr));
	want = pm_rec_size(rec->hdr.type);
	if (!want)
		return damaged(r, "unknown record type");
	if (rec->hdr.size != want)
		return damaged(r, "record of the wrong size");
	if (r->len - r->pos < sizeof(rec->hdr) + want && !fill(r, sizeof(rec->hdr) + want)) {
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
		if (fill(r, 1) || r->eof < 0)
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
	const size_t size = sizeof(struct pm_rec_hdr) + sizeof(struct pm_rec_stage);
	const unsigned char *p = r->mem + r->pos, *end = r->mem + r->len;
	struct pm_rec_hdr h;
	struct pm_rec_stage st;

	/*
	 * The common case in a tight loop over memory; any other record, a
	 * record that fails a check, or the end of the window goes the
	 * general way, which also words the errors.
	 */
	while (!r->done && end - p >= (ptrdiff_t)size) {
		__builtin_prefetch(p + 8192);
		memcpy(&h, p, sizeof(h));
		memcpy(&st, p + sizeof(h), sizeof(st));
		if (h.type != PM_REC_STAGE || h.size != sizeof(st) || !stage_ok(r, &st))
			break;
		pm_hist_add(&hists[st.stage], st.dur_ns);
		p += size;
		r->nr_records++;
	}
	r->offset += (uint64_t)(p - (r->mem + r->pos));
	r->pos = (size_t)(p - r->mem);
	return pm_log_next(r, rec);
}

const struct pm_rec_op *pm_log_op(const struct pm_log_reader *r)
{
	return r->have_op ? &r->op : NULL;
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
