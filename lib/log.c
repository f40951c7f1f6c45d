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
	       sizeof(struct pm_rec_slices) % 8 == 0 && sizeof(struct pm_rec_declare) % 8 == 0 &&
	       sizeof(struct pm_field) % 8 == 0 && sizeof(struct pm_rec_label) % 8 == 0,
	       "records keep 8-byte alignment");
_Static_assert(sizeof(struct pm_rec_declare) == 56 && sizeof(struct pm_field) == 48 &&
	       sizeof(struct pm_rec_label) == 48 && sizeof(struct pm_rec_hist) == 4040 &&
	       sizeof(struct pm_rec_counter) == 64 && PM_REC_HIST_V2_SIZE == 4024 &&
	       PM_REC_COUNTER_V2_SIZE == 48, "the sizes log_format.h documents");
_Static_assert(PM_MAX_STAGES == 64, "one bit per stage in struct rules.named");

/* pm_slices_size(PM_SLICES_MAX), as a constant */
#define SLICES_MAX_SIZE (sizeof(struct pm_rec_slices) + PM_ALIGN8(PM_SLICES_MAX) + \
			 24 * PM_SLICES_MAX + 4 * PM_ALIGN8(4 * PM_SLICES_MAX))
_Static_assert(SLICES_MAX_SIZE <= 0xffff, "a full slices record fits its size field");
#define DECLARE_MAX_SIZE (sizeof(struct pm_rec_declare) + PM_MAX_FIELDS * sizeof(struct pm_field))
#define NKINDS (PM_REC_KIND_MAX - PM_REC_KIND_MIN + 1)

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

struct label {
	unsigned short kind, field;
	uint64_t value;
	char name[PM_NAME_LEN];
};

/*
 * What a log has declared so far, and the one implementation of the
 * rules of log_format.h that depend on it: the reader checks each record
 * against it, the writer each record before writing it.
 */
struct rules {
	uint64_t start_ns;
	uint64_t named;			/* bit n: stage n is declared */
	char names[PM_MAX_STAGES][PM_NAME_LEN];
	uint64_t stage_sum[PM_MAX_STAGES];	/* of durations: may not overflow */
	unsigned int nkinds;
	unsigned char kind_index[NKINDS];	/* 1 + index in kinds[], 0: none */
	struct pm_kind kinds[PM_MAX_KINDS];
	unsigned int nlabels;
	struct label labels[PM_MAX_LABELS];
	unsigned int nnamed;		/* histogram and counter names */
	char recnames[PM_MAX_NAMED][PM_NAME_LEN];
};

struct pm_log_writer {
	FILE *f;
	struct pm_log_header hdr;
	char path[256];
	uint64_t nr_records;
	int failed;
	char err[PM_ERR_LEN];
	struct rules rules;
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
	uint64_t last_offset;		/* of the record last handed out */
	uint64_t lost;
	uint64_t skipped;
	struct rules rules;
	char err[PM_ERR_LEN];
	/* Aligned: callers read payloads through their struct types. */
	unsigned char payload[SLICES_MAX_SIZE] __attribute__((aligned(8)));
	unsigned char conv[sizeof(struct pm_rec_hist)] __attribute__((aligned(8)));
};

_Static_assert(READ_BUF >= sizeof(struct pm_rec_hdr) + SLICES_MAX_SIZE + READ_AHEAD &&
	       SLICES_MAX_SIZE >= sizeof(struct pm_rec_hist) &&
	       SLICES_MAX_SIZE >= DECLARE_MAX_SIZE,
	       "the buffer holds the largest record, and some");

static void seterr(char *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
	[PM_REC_LABEL] = sizeof(struct pm_rec_label),
};

size_t pm_rec_size(enum pm_rec_type type)
{
	return (unsigned int)type < sizeof(rec_sizes) / sizeof(rec_sizes[0]) ? rec_sizes[type] : 0;
}

bool pm_log_str_ok(const char *s, size_t len, bool may_be_empty)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	for (n = 0; n < len && p[n]; n++)
		if (p[n] < 0x20 || p[n] > 0x7e)
			return false;
	if (n == len || (!n && !may_be_empty))
		return false;
	for (i = n; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* @src into @dst of @len bytes, zero-padded; false if it does not fit. */
static bool copy_str(char *dst, size_t len, const char *src)
{
	memset(dst, 0, len);
	if (!src)
		return true;
	strncpy(dst, src, len - 1);
	return strlen(src) < len;
}

/* --- the rules ------------------------------------------------------------ */

static const struct pm_kind *kind_of(const struct rules *ru, unsigned int type)
{
	if (type < PM_REC_KIND_MIN || type > PM_REC_KIND_MAX ||
	    !ru->kind_index[type - PM_REC_KIND_MIN])
		return NULL;
	return &ru->kinds[ru->kind_index[type - PM_REC_KIND_MIN] - 1];
}

/* Are the @n entries of a stage column all declared stages, the padding zero? */
static bool stages_named(const struct rules *ru, const unsigned char *stage, unsigned int n)
{
	unsigned int i, ok = 1;

	/* no branch per slice: PM_MAX_STAGES is 64, stage & 63 is stage if valid */
	for (i = 0; i < n; i++)
		ok &= (stage[i] < PM_MAX_STAGES) & (unsigned int)(ru->named >> (stage[i] & 63));
	for (; i < PM_ALIGN8(n); i++)
		ok &= !stage[i];
	return ok & 1;
}

/* Add a record's durations to the per-stage sums; false if one overflows. */
static bool add_sums(struct rules *ru, const unsigned char *stage, const unsigned char *dur,
		     unsigned int n)
{
	unsigned int i;
	bool ovf = false;
	uint64_t d;

	for (i = 0; i < n; i++) {
		memcpy(&d, dur + 8 * i, sizeof(d));
		ovf |= __builtin_add_overflow(ru->stage_sum[stage[i]], d, &ru->stage_sum[stage[i]]);
	}
	return !ovf;
}

/* Remember a histogram or counter name; the reason if it cannot be. */
static const char *add_recname(struct rules *ru, const char *name)
{
	unsigned int i;

	for (i = 0; i < ru->nnamed; i++)
		if (!strcmp(ru->recnames[i], name))
			return "histogram or counter name used twice";
	if (ru->nnamed == PM_MAX_NAMED)
		return "too many histograms and counters";
	memcpy(ru->recnames[ru->nnamed++], name, PM_NAME_LEN);
	return NULL;
}

static const char *check_declare(struct rules *ru, const struct pm_rec_declare *d)
{
	const struct pm_field *f = (const struct pm_field *)(d + 1);
	struct pm_kind *k;
	unsigned int i, j;

	if (d->reserved)
		return "reserved field set in declaration";
	if (!pm_log_str_ok(d->name, PM_NAME_LEN, false) || !pm_log_str_ok(d->unit, PM_UNIT_LEN, true))
		return "bad name or unit in declaration (empty, unterminated or unprintable)";
	if (d->class == PM_DECL_STAGE) {
		if (d->id >= PM_MAX_STAGES)
			return "stage number out of range in declaration";
		if (d->nfields)
			return "stage declared with fields";
		if (strcmp(d->unit, "ns"))
			return "stage durations not in ns";
		if (ru->named >> d->id & 1)
			return "stage number declared twice";
		for (i = 0; i < PM_MAX_STAGES; i++)
			if ((ru->named >> i & 1) && !strcmp(ru->names[i], d->name))
				return "stage name declared twice";
		memcpy(ru->names[d->id], d->name, PM_NAME_LEN);
		ru->named |= 1ULL << d->id;
		return NULL;
	}
	if (d->class != PM_DECL_EVENT && d->class != PM_DECL_SPAN)
		return "unknown class in declaration";
	if (d->id < PM_REC_KIND_MIN || d->id > PM_REC_KIND_MAX)
		return "declared kind's record type out of range";
	if (!d->nfields || d->nfields > PM_MAX_FIELDS)
		return "declared kind with a bad number of fields";
	if (d->unit[0])
		return "declared kind with a unit (its fields have them)";
	if (kind_of(ru, d->id))
		return "record kind declared twice";
	for (i = 0; i < ru->nkinds; i++)
		if (!strcmp(ru->kinds[i].decl.name, d->name))
			return "record kind name declared twice";
	for (i = 0; i < d->nfields; i++) {
		if (f[i].reserved || (f[i].flags & ~(PM_FIELD_ENUM | PM_FIELD_ID)))
			return "reserved bits set in a declared field";
		if (!pm_log_str_ok(f[i].name, PM_FIELD_NAME_LEN, false) ||
		    !pm_log_str_ok(f[i].unit, PM_UNIT_LEN, true))
			return "bad field name or unit in declaration";
		for (j = 0; j < i; j++)
			if (!strcmp(f[i].name, f[j].name))
				return "field declared twice";
	}
	if (d->class == PM_DECL_SPAN && (strcmp(f[0].unit, "ns") || f[0].flags))
		return "span whose field 0 is not a duration in ns";
	if (ru->nkinds == PM_MAX_KINDS)
		return "too many record kinds declared";
	k = &ru->kinds[ru->nkinds++];
	memset(k, 0, sizeof(*k));
	k->decl = *d;
	memcpy(k->fields, f, d->nfields * sizeof(*f));
	ru->kind_index[d->id - PM_REC_KIND_MIN] = (unsigned char)ru->nkinds;
	return NULL;
}

static const char *check_label(struct rules *ru, const struct pm_rec_label *l)
{
	const struct pm_kind *k = kind_of(ru, l->kind);
	struct label *o;
	unsigned int i;

	if (l->reserved)
		return "reserved field set in label";
	if (!k)
		return "label of an undeclared kind";
	if (l->field >= k->decl.nfields || !(k->fields[l->field].flags & PM_FIELD_ENUM))
		return "label of a field that is not an enumeration";
	if (!pm_log_str_ok(l->name, PM_NAME_LEN, false))
		return "bad name in label (empty, unterminated or unprintable)";
	for (i = 0; i < ru->nlabels; i++) {
		o = &ru->labels[i];
		if (o->kind == l->kind && o->field == l->field &&
		    (o->value == l->value || !strcmp(o->name, l->name)))
			return "label declared twice";
	}
	if (ru->nlabels == PM_MAX_LABELS)
		return "too many labels";
	o = &ru->labels[ru->nlabels++];
	o->kind = l->kind;
	o->field = l->field;
	o->value = l->value;
	memcpy(o->name, l->name, PM_NAME_LEN);
	return NULL;
}

/*
 * The checks beyond size that a (version 3) record must pass; NULL or the
 * reason.  Declarations are remembered.
 */
static const char *check(struct rules *ru, const struct pm_rec_hdr *h, const void *payload)
{
	if (h->ts_ns < ru->start_ns)
		return "record time before the log's start";
	switch (h->type) {
	case PM_REC_SLICES: {
		const struct pm_rec_slices *s = payload;
		const unsigned char *stage = (const unsigned char *)payload + sizeof(*s);
		unsigned int i;

		if (!stages_named(ru, stage, s->n)) {
			for (i = 0; i < s->n; i++)
				if (stage[i] >= PM_MAX_STAGES || !(ru->named >> stage[i] & 1))
					return "slice of an undeclared stage number";
			return "nonzero padding in slices record";
		}
		if (!add_sums(ru, stage, stage + PM_ALIGN8(s->n), s->n))
			return "durations of a stage overflow their sum";
		return NULL;
	}
	case PM_REC_DECLARE:
		return check_declare(ru, payload);
	case PM_REC_LABEL:
		return check_label(ru, payload);
	case PM_REC_HIST: {
		const struct pm_rec_hist *rh = payload;
		const char *why;

		if (!pm_log_str_ok(rh->name, PM_NAME_LEN, false) ||
		    !pm_log_str_ok(rh->unit, PM_UNIT_LEN, true))
			return "bad histogram name or unit (empty, unterminated or unprintable)";
		why = pm_hist_check(&rh->hist);
		return why ? why : add_recname(ru, rh->name);
	}
	case PM_REC_COUNTER: {
		const struct pm_rec_counter *c = payload;

		if (!pm_log_str_ok(c->name, PM_NAME_LEN, false) ||
		    !pm_log_str_ok(c->unit, PM_UNIT_LEN, true))
			return "bad counter name or unit (empty, unterminated or unprintable)";
		if (c->pad || c->available > 1 || (!c->available && c->value))
			return "counter with a bad availability, padding or value";
		return add_recname(ru, c->name);
	}
	}
	/* a declared kind: its size was checked; a span cannot start before time 0 */
	if (h->type >= PM_REC_KIND_MIN && h->type <= PM_REC_KIND_MAX) {
		const struct pm_kind *k = kind_of(ru, h->type);
		uint64_t dur;

		memcpy(&dur, payload, sizeof(dur));
		if (k && k->decl.class == PM_DECL_SPAN && dur > h->ts_ns)
			return "span longer than the time it ended at";
	}
	return NULL;
}

/* --- writing ---------------------------------------------------------------- */

static int wfail(struct pm_log_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int wfail(struct pm_log_writer *w, const char *fmt, ...)
{
	char msg[PM_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(w->err, w->path, "%s", msg);
	w->failed = 1;
	return -1;
}

struct pm_log_writer *pm_log_create(const char *path, const char *tool,
				    const char *kernel, const char *hooks,
				    uint64_t start_ns, char err[PM_ERR_LEN])
{
	struct pm_log_writer *w;
	struct pm_log_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, PM_LOG_MAGIC, sizeof(hdr.magic));
	hdr.version = PM_LOG_VERSION;
	hdr.header_size = PM_LOG_HEADER_SIZE;
	/* kernel and hooks are facts for a reader: cut to fit, never refused for length */
	copy_str(hdr.kernel, sizeof(hdr.kernel), kernel);
	copy_str(hdr.hooks, sizeof(hdr.hooks), hooks);
	if (!copy_str(hdr.tool, sizeof(hdr.tool), tool) ||
	    !pm_log_str_ok(hdr.tool, sizeof(hdr.tool), false) ||
	    !pm_log_str_ok(hdr.kernel, sizeof(hdr.kernel), false) ||
	    !pm_log_str_ok(hdr.hooks, sizeof(hdr.hooks), true)) {
		seterr(err, path, "tool, kernel or hooks empty, too long or not printable ASCII");
		return NULL;
	}
	hdr.clock = PM_CLOCK_MONOTONIC;
	hdr.start_ns = start_ns;
	w = calloc(1, sizeof(*w));
	if (!w) {
		seterr(err, path, "out of memory");
		return NULL;
	}
	copy_str(w->path, sizeof(w->path), path);
	w->rules.start_ns = start_ns;
	/* "e": close-on-exec, so that a traced CMD does not inherit the log. */
	w->f = strcmp(path, "-") ? fopen(path, "wbe") : stdout;
	if (!w->f) {
		seterr(err, path, "cannot create: %s", strerror(errno));
		free(w);
		return NULL;
	}
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
	if (fwrite(h, sizeof(*h), 1, w->f) != 1 || fwrite(payload, h->size, 1, w->f) != 1)
		return wfail(w, "write failed: %s", strerror(errno));
	w->nr_records++;
	return 0;
}

/* Check a record as a reader will, then write it. */
static int put_checked(struct pm_log_writer *w, const struct pm_rec_hdr *h, const void *payload)
{
	const char *why = check(&w->rules, h, payload);

	if (why)
		return wfail(w, "refused to write a record (type %u): %s", h->type, why);
	return put(w, h, payload);
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
	return put_checked(w, &h, p);
}

int pm_log_slice(struct pm_log_writer *w, const struct pm_slice *s)
{
	if (w->failed)
		return -1;
	if (s->stage >= PM_MAX_STAGES || !(w->rules.named >> s->stage & 1))
		return wfail(w, "slice of stage number %u, which no declaration named", s->stage);
	w->pending[w->nslices++] = *s;
	return w->nslices == PM_SLICES_MAX ? flush_slices(w) : 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

int pm_log_write(struct pm_log_writer *w, enum pm_rec_type type, uint32_t cpu,
		 uint64_t ts_ns, const void *payload, size_t size)
{
	struct pm_rec_hdr h = { .type = type, .size = (unsigned short)size,
				.cpu = cpu, .ts_ns = ts_ns };
	union {
		struct pm_rec_hist h;
		struct pm_rec_counter c;
		struct pm_rec_label l;
	} u;

	if (w->failed)
		return -1;
	if ((type != PM_REC_HIST && type != PM_REC_COUNTER && type != PM_REC_LABEL) ||
	    size != pm_rec_size(type))
		return wfail(w, "bad record (type %d, %zu bytes)", type, size);
	if (flush_slices(w))
		return -1;
	memcpy(&u, payload, size);
	if (type == PM_REC_HIST && !u.h.unit[0] && memchr(u.h.name, 0, PM_NAME_LEN) &&
	    ends_with(u.h.name, "_ns"))
		memcpy(u.h.unit, "ns", 3);
	return put_checked(w, &h, &u);
}

int pm_log_name_stages(struct pm_log_writer *w, const char *const *names, unsigned int n)
{
	struct pm_rec_declare d;
	struct pm_rec_hdr h = { .type = PM_REC_DECLARE, .size = sizeof(d),
				.ts_ns = w->hdr.start_ns };
	unsigned int i;

	if (w->failed)
		return -1;
	if (n > PM_MAX_STAGES)
		return wfail(w, "%u stage names, at most %d", n, PM_MAX_STAGES);
	if (flush_slices(w))
		return -1;
	for (i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		d.class = PM_DECL_STAGE;
		d.id = (unsigned short)i;
		memcpy(d.unit, "ns", 3);
		if (!copy_str(d.name, sizeof(d.name), names[i]))
			return wfail(w, "stage name too long: %.40s", names[i]);
		if (put_checked(w, &h, &d))
			return -1;
	}
	return 0;
}

int pm_log_declare(struct pm_log_writer *w, unsigned int type, enum pm_decl_class cls,
		   const char *name, const struct pm_field *fields, unsigned int nfields)
{
	unsigned char buf[DECLARE_MAX_SIZE] __attribute__((aligned(8)));
	struct pm_rec_declare d;
	struct pm_rec_hdr h = { .type = PM_REC_DECLARE, .ts_ns = w->hdr.start_ns };

	if (w->failed)
		return -1;
	if (nfields > PM_MAX_FIELDS || type > 0xffff)
		return wfail(w, "declaration of type %u with %u fields", type, nfields);
	if (flush_slices(w))
		return -1;
	memset(&d, 0, sizeof(d));
	d.class = (unsigned short)cls;
	d.id = (unsigned short)type;
	d.nfields = (unsigned short)nfields;
	if (!copy_str(d.name, sizeof(d.name), name))
		return wfail(w, "kind name too long: %.40s", name);
	memcpy(buf, &d, sizeof(d));
	if (nfields)
		memcpy(buf + sizeof(d), fields, nfields * sizeof(*fields));
	h.size = (unsigned short)(sizeof(d) + nfields * sizeof(*fields));
	return put_checked(w, &h, buf);
}

int pm_log_label(struct pm_log_writer *w, unsigned int type, unsigned int field,
		 uint64_t value, const char *name)
{
	struct pm_rec_label l;

	if (w->failed)
		return -1;
	memset(&l, 0, sizeof(l));
	l.kind = (unsigned short)type;
	l.field = (unsigned short)field;
	l.value = value;
	if (type > 0xffff || field > 0xffff || !copy_str(l.name, sizeof(l.name), name))
		return wfail(w, "bad label (kind %u, field %u)", type, field);
	return pm_log_write(w, PM_REC_LABEL, 0, w->hdr.start_ns, &l, sizeof(l));
}

int pm_log_event(struct pm_log_writer *w, unsigned int type, uint32_t cpu, uint64_t ts_ns,
		 const uint64_t *values, unsigned int n)
{
	const struct pm_kind *k = kind_of(&w->rules, type);
	struct pm_rec_hdr h = { .type = (unsigned short)type, .cpu = cpu, .ts_ns = ts_ns };

	if (w->failed)
		return -1;
	if (!k || n != k->decl.nfields)
		return wfail(w, "event of kind %u: %s", type,
			     k ? "wrong number of values" : "not declared");
	if (flush_slices(w))
		return -1;
	h.size = (unsigned short)(8 * n);
	return put_checked(w, &h, values);
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

/* --- reading ---------------------------------------------------------------- */

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
	if (r->hdr.version < PM_LOG_VERSION_MIN || r->hdr.version > PM_LOG_VERSION) {
		seterr(err, r->path, "log format version %u, this build reads versions %d to %d",
		       r->hdr.version, PM_LOG_VERSION_MIN, PM_LOG_VERSION);
		goto fail;
	}
	if (r->hdr.header_size != PM_LOG_HEADER_SIZE || r->hdr.clock != PM_CLOCK_MONOTONIC ||
	    (r->hdr.flags & ~PM_LOG_COMPLETE) ||
	    (!(r->hdr.flags & PM_LOG_COMPLETE) && r->hdr.lost_events)) {
		seterr(err, r->path, "damaged header at offset 0 (size, clock or flags)");
		goto fail;
	}
	if (!pm_log_str_ok(r->hdr.tool, sizeof(r->hdr.tool), false) ||
	    !pm_log_str_ok(r->hdr.kernel, sizeof(r->hdr.kernel), false) ||
	    !pm_log_str_ok(r->hdr.hooks, sizeof(r->hdr.hooks), true)) {
		seterr(err, r->path, "damaged header at offset 16: tool, kernel or hooks empty, "
		       "unterminated or not printable ASCII");
		goto fail;
	}
	r->rules.start_ns = r->hdr.start_ns;
	r->offset = sizeof(r->hdr);
	return r;
fail:
	release(r);
	return NULL;
}

static struct pm_log_reader *new_reader(const char *path, char err[PM_ERR_LEN])
{
	struct pm_log_reader *r = calloc(1, sizeof(*r));

	if (!r)
		seterr(err, path, "out of memory");
	else
		copy_str(r->path, sizeof(r->path), path);
	return r;
}

struct pm_log_reader *pm_log_open(const char *path, char err[PM_ERR_LEN])
{
	struct pm_log_reader *r = new_reader(path, err);
	struct stat st;

	if (!r)
		return NULL;
	if (!(r->buf = aligned_alloc(64, READ_BUF))) {
		seterr(err, path, "out of memory");
		free(r);
		return NULL;
	}
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
	struct pm_log_reader *r = new_reader("(memory)", err);

	if (!r)
		return NULL;
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

/*
 * The size a record's payload must have, from its type and first 8 bytes;
 * or SZ_NONE (a type this version does not have), SZ_BADCOUNT (a slices
 * record's count is wrong), SZ_SKIP (an optional record to step over):
 * none of them a u16, so never a record's size.
 */
#define SZ_NONE		0
#define SZ_BADCOUNT	(SIZE_MAX - 1)
#define SZ_SKIP		SIZE_MAX

static size_t expected_size(const struct pm_log_reader *r, unsigned int type,
			    const unsigned char *first8)
{
	bool v2 = r->hdr.version == 2;
	const struct pm_kind *k;
	unsigned short nfields;
	struct pm_rec_slices s;

	switch (type) {
	case PM_REC_SLICES:
		memcpy(&s, first8, sizeof(s));
		if (!s.n || s.n > PM_SLICES_MAX || s.reserved)
			return SZ_BADCOUNT;
		return pm_slices_size(s.n);
	case PM_REC_HIST:
		return v2 ? PM_REC_HIST_V2_SIZE : sizeof(struct pm_rec_hist);
	case PM_REC_COUNTER:
		return v2 ? PM_REC_COUNTER_V2_SIZE : sizeof(struct pm_rec_counter);
	case PM_REC_END:
		return sizeof(struct pm_rec_end);
	case PM_REC_NAME:
		return v2 ? sizeof(struct pm_rec_name) : SZ_NONE;
	case PM_REC_DECLARE:
		if (v2)
			return SZ_NONE;
		memcpy(&nfields, first8 + 4, sizeof(nfields));
		return sizeof(struct pm_rec_declare) +
		       (nfields <= PM_MAX_FIELDS ? nfields : PM_MAX_FIELDS + 1) *
			       sizeof(struct pm_field);
	case PM_REC_LABEL:
		return v2 ? SZ_NONE : sizeof(struct pm_rec_label);
	}
	if (v2)
		return SZ_NONE;
	if (type & PM_REC_OPTIONAL)
		return SZ_SKIP;
	k = kind_of(&r->rules, type);
	return k ? 8 * (size_t)k->decl.nfields : SZ_NONE;
}

/*
 * A version 2 record as version 3 (in r->conv): NAME as a stage
 * declaration, histograms and counters with their unit.
 */
static void upgrade(struct pm_log_reader *r, struct pm_rec *rec)
{
	const unsigned char *p = rec->payload;
	unsigned char *c = r->conv;

	memset(c, 0, sizeof(r->conv));
	switch (rec->hdr.type) {
	case PM_REC_NAME: {
		struct pm_rec_name n;
		struct pm_rec_declare *d = (struct pm_rec_declare *)c;

		memcpy(&n, p, sizeof(n));
		d->class = PM_DECL_STAGE;
		d->id = n.id < PM_MAX_STAGES ? (unsigned short)n.id : 0xffff;
		d->reserved = n.reserved ? 1 : 0;
		memcpy(d->name, n.name, PM_NAME_LEN);
		memcpy(d->unit, "ns", 3);
		rec->hdr.type = PM_REC_DECLARE;
		rec->hdr.size = sizeof(*d);
		break;
	}
	case PM_REC_HIST:
		memcpy(c, p, PM_NAME_LEN);
		memcpy(c + offsetof(struct pm_rec_hist, unit), "ns", 3);
		memcpy(c + offsetof(struct pm_rec_hist, hist), p + PM_NAME_LEN, sizeof(struct pm_hist));
		rec->hdr.size = sizeof(struct pm_rec_hist);
		break;
	case PM_REC_COUNTER:
		memcpy(c, p, PM_NAME_LEN);
		memcpy(c + offsetof(struct pm_rec_counter, value), p + PM_NAME_LEN, 16);
		rec->hdr.size = sizeof(struct pm_rec_counter);
		break;
	default:
		return;
	}
	rec->payload = c;
}

int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec)
{
	const unsigned char *p;
	const char *why;
	size_t want;

	if (r->done)
		return r->done > 0 ? 0 : -1;
again:
	if (!fill(r, sizeof(rec->hdr) + 8, READ_AHEAD)) {
		if (r->len - r->pos >= sizeof(rec->hdr))
			return damaged(r, "truncated record");
		return damaged(r, r->len > r->pos ? "truncated record header" :
						    "truncated: no end record");
	}
	p = r->mem + r->pos;
	memcpy(&rec->hdr, p, sizeof(rec->hdr));
	want = expected_size(r, rec->hdr.type, p + sizeof(rec->hdr));
	if (want == SZ_NONE) {
		if (rec->hdr.type >= PM_REC_KIND_MIN && rec->hdr.type <= PM_REC_KIND_MAX &&
		    r->hdr.version > 2)
			return damaged(r, "record of an undeclared kind");
		return damaged(r, "unknown record type");
	}
	if (want == SZ_BADCOUNT)
		return damaged(r, "slices record with a bad count or reserved field");
	if (want == SZ_SKIP) {		/* optional, unknown: step over it */
		want = rec->hdr.size;
		if (!fill(r, sizeof(rec->hdr) + want, READ_AHEAD)) {
			r->pos = r->len;
			return damaged(r, "truncated record");
		}
		if (rec->hdr.ts_ns < r->rules.start_ns)
			return damaged(r, "record time before the log's start");
		r->pos += sizeof(rec->hdr) + want;
		r->offset += sizeof(rec->hdr) + want;
		r->nr_records++;
		r->skipped++;
		goto again;
	}
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
		if ((r->hdr.flags & PM_LOG_COMPLETE) && end->lost_events != r->hdr.lost_events)
			return damaged(r, "end record's lost events disagree with the header's");
		r->offset += sizeof(rec->hdr) + want;
		if (fill(r, 1, 0) || r->eof < 0)
			return damaged(r, "data after the end record");
		r->lost = end->lost_events;
		r->done = 1;
		return 0;
	}
	if (r->hdr.version == 2)
		upgrade(r, rec);
	why = check(&r->rules, &rec->hdr, rec->payload);
	if (why)
		return damaged(r, why);
	r->last_offset = r->offset;
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
	uint64_t d, *sums = r->rules.stage_sum, named = r->rules.named;
	unsigned int i, ok;
	bool ovf = false;

	/*
	 * Slices records, reading their stage and duration columns only; any
	 * other record, or one that fails a check, goes the general way,
	 * which also words the errors.
	 */
	while (!r->done && fill(r, hs + sizeof(s), PM_ALIGN8(PM_SLICES_MAX) + 8 * PM_SLICES_MAX)) {
		p = r->mem + r->pos;
		memcpy(&h, p, hs);
		memcpy(&s, p + hs, sizeof(s));
		if (h.type != PM_REC_SLICES || h.ts_ns < r->rules.start_ns ||
		    expected_size(r, h.type, p + hs) != h.size ||
		    !fill(r, hs + sizeof(s) + PM_ALIGN8(s.n) + 8 * s.n, 0) || !present(r, hs + h.size))
			break;
		p = r->mem + r->pos;
		stage = p + hs + sizeof(s);
		dur = stage + PM_ALIGN8(s.n);
		/*
		 * One pass: each duration into its histogram and its stage's
		 * sum, the stage checked on the way (st & 63 keeps a bad one in
		 * bounds; the record, and the log, are then refused below).
		 */
		for (i = 0, ok = 1; i < s.n; i++) {
			unsigned int st = stage[i] & (PM_MAX_STAGES - 1);

			ok &= (stage[i] < PM_MAX_STAGES) & (unsigned int)(named >> st);
			memcpy(&d, dur + 8 * i, sizeof(d));
			ovf |= __builtin_add_overflow(sums[st], d, &sums[st]);
			pm_hist_add(&hists[st], d);
		}
		for (; i < PM_ALIGN8(s.n); i++)
			ok &= !stage[i];
		if (!(ok & 1))
			return pm_log_next(r, rec);	/* words the error */
		if (ovf)
			return damaged(r, "durations of a stage overflow their sum");
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
	return id < PM_MAX_STAGES && (r->rules.named >> id & 1) ? r->rules.names[id] : NULL;
}

const struct pm_kind *pm_log_kind(const struct pm_log_reader *r, unsigned int type)
{
	return kind_of(&r->rules, type);
}

const char *pm_log_label_name(const struct pm_log_reader *r, unsigned int type,
			      unsigned int field, uint64_t value)
{
	unsigned int i;

	for (i = 0; i < r->rules.nlabels; i++) {
		const struct label *l = &r->rules.labels[i];

		if (l->kind == type && l->field == field && l->value == value)
			return l->name;
	}
	return NULL;
}

uint64_t pm_log_skipped(const struct pm_log_reader *r)
{
	return r->skipped;
}

uint64_t pm_log_offset(const struct pm_log_reader *r)
{
	return r->last_offset;
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
