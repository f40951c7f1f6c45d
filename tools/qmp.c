// SPDX-License-Identifier: GPL-2.0
/*
 * A QMP client over a unix socket (qmp.h): framing, deadlines, and the
 * checks on each message QEMU sends, which is untrusted input.  jansson
 * parses; everything it hands back is type-checked here before use.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "toolutil.h"

enum kind { K_GREETING, K_RETURN, K_ERROR, K_EVENT };

int qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	return QMP_ERROR;
}

/* @s for a message or a terminal: printable ASCII, anything else as '?'. */
static void printable(char *dst, size_t size, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	dst[i] = '\0';
}

static void init(struct qmp *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

int qmp_open_mem(struct qmp *q, const void *data, size_t size, size_t chunk)
{
	init(q);
	q->buf = malloc(QMP_MAX_LINE);
	if (!q->buf)
		return qmp_fail(q, "out of memory");
	q->mem = data;
	q->mem_len = size;
	q->mem_chunk = chunk ? chunk : 1;
	return QMP_OK;
}

static int sleep_ms(struct qmp *q, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (nanosleep(&ts, NULL) && tool_exiting)
		return qmp_fail(q, "interrupted by signal %d", (int)tool_last_signal);
	return QMP_OK;
}

int qmp_connect(struct qmp *q, const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int err;

	init(q);
	if (strlen(path) >= sizeof(sa.sun_path))
		return qmp_fail(q, "socket path too long (%zu bytes, at most %zu): %s",
				strlen(path), sizeof(sa.sun_path) - 1, path);
	strcpy(sa.sun_path, path);
	q->buf = malloc(QMP_MAX_LINE);
	if (!q->buf)
		return qmp_fail(q, "out of memory");
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0)
		return qmp_fail(q, "socket: %s", strerror(errno));
	/*
	 * Non-blocking: a full backlog is EAGAIN, not a wait.  QEMU may not
	 * have created the socket yet (ENOENT) or be about to listen.
	 */
	while (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN && err != EINTR)
			return qmp_fail(q, "cannot connect to %s: %s", path, strerror(err));
		if (tool_now_ns() >= deadline)
			return qmp_fail(q, "cannot connect to %s: %s (gave up at the deadline)",
					path, strerror(err));
		if (sleep_ms(q, 50))
			return QMP_ERROR;
	}
	return QMP_OK;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
}

/* Read more into buf: QMP_OK (maybe only setting eof), QMP_ERROR, QMP_TIMEOUT. */
static int fill(struct qmp *q, uint64_t deadline)
{
	size_t room = QMP_MAX_LINE - q->len;
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	uint64_t now;
	ssize_t n;
	int ms;

	if (q->fd < 0) {
		n = (ssize_t)(q->mem_len - q->mem_off);
		if (!n) {
			q->eof = true;
			return QMP_OK;
		}
		if ((size_t)n > q->mem_chunk)
			n = (ssize_t)q->mem_chunk;
		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(q->buf + q->len, q->mem + q->mem_off, (size_t)n);
		q->mem_off += (size_t)n;
		q->len += (size_t)n;
		return QMP_OK;
	}
	for (;;) {
		if (tool_exiting)
			return qmp_fail(q, "interrupted by signal %d", (int)tool_last_signal);
		now = tool_now_ns();
		if (now >= deadline) {
			if (q->len)
				snprintf(q->err, sizeof(q->err), "deadline passed with %zu bytes of "
					 "an unfinished message at offset %llu", q->len,
					 (unsigned long long)q->offset);
			else
				snprintf(q->err, sizeof(q->err), "deadline passed at offset %llu",
					 (unsigned long long)q->offset);
			return QMP_TIMEOUT;
		}
		ms = (deadline - now + 999999) / 1000000 > INT_MAX ? INT_MAX :
			(int)((deadline - now + 999999) / 1000000);
		if (poll(&p, 1, ms) <= 0)
			continue;	/* timeout, EINTR: the checks above */
		n = read(q->fd, q->buf + q->len, room);
		if (n > 0) {
			q->len += (size_t)n;
			return QMP_OK;
		}
		if (n == 0 || errno == ECONNRESET) {
			q->eof = true;
			return QMP_OK;
		}
		if (errno != EINTR && errno != EAGAIN)
			return qmp_fail(q, "reading the QMP socket at offset %llu: %s",
					(unsigned long long)(q->offset + q->len), strerror(errno));
	}
}

static bool blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static void consume(struct qmp *q, size_t n)
{
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
	q->offset += n;
}

int qmp_read(struct qmp *q, uint64_t deadline, json_t **msg)
{
	char *nl;
	json_error_t je;
	json_t *m;
	size_t n;
	int rc;

	*msg = NULL;
	for (;;) {
		nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			n = (size_t)(nl - q->buf) + 1;
			q->msg_off = q->offset;
			q->msg_len = n;
			if (blank(q->buf, n)) {
				consume(q, n);
				continue;
			}
			m = json_loadb(q->buf, n, JSON_REJECT_DUPLICATES, &je);
			if (!m)
				return qmp_fail(q, "bad JSON in the message at offset %llu, its byte "
						"%d: %s", (unsigned long long)q->offset,
						je.position, je.text);
			if (q->verbose) {
				char line[512];
				size_t l = n - 1;	/* without "\r\n" */

				if (l && q->buf[l - 1] == '\r')
					l--;
				printable(line, sizeof(line), q->buf, l);
				fprintf(stderr, "qmp <- %s%s\n", line, n > sizeof(line) ? "..." : "");
			}
			consume(q, n);
			if (!json_is_object(m)) {
				rc = qmp_fail(q, "the message at offset %llu is a JSON %s, not an "
					      "object", (unsigned long long)q->msg_off, type_name(m));
				json_decref(m);
				return rc;
			}
			*msg = m;
			return QMP_OK;
		}
		if (q->len >= QMP_MAX_LINE)
			return qmp_fail(q, "the message at offset %llu is longer than %d bytes",
					(unsigned long long)q->offset, QMP_MAX_LINE);
		if (q->eof) {
			if (q->len)
				return qmp_fail(q, "QMP socket closed in the middle of a message: "
						"%zu bytes at offset %llu with no end of line",
						q->len, (unsigned long long)q->offset);
			return qmp_fail(q, "QMP socket closed by QEMU at offset %llu",
					(unsigned long long)q->offset);
		}
		rc = fill(q, deadline);
		if (rc)
			return rc;
	}
}

static int send_line(struct qmp *q, const char *line, uint64_t deadline)
{
	size_t off = 0, len = strlen(line);
	struct pollfd p = { .fd = q->fd, .events = POLLOUT };
	uint64_t now;
	ssize_t n;

	if (q->verbose)
		fprintf(stderr, "qmp -> %.*s\n", (int)len - 1, line);
	if (q->fd < 0)
		return QMP_OK;
	while (off < len) {
		if (tool_exiting)
			return qmp_fail(q, "interrupted by signal %d", (int)tool_last_signal);
		n = send(q->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return qmp_fail(q, "writing to the QMP socket: %s", strerror(errno));
		now = tool_now_ns();
		if (now >= deadline)
			return qmp_fail(q, "QEMU takes no input (deadline passed writing)");
		poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
	}
	return QMP_OK;
}

/* Which of the four a message is; anything else is an error. */
static int classify(struct qmp *q, json_t *m, enum kind *kind)
{
	static const char *const keys[] = { "QMP", "return", "error", "event" };
	unsigned long long off = q->msg_off;
	json_t *v, *e;
	int i, found = -1;

	for (i = 0; i < 4; i++) {
		if (!json_object_get(m, keys[i]))
			continue;
		if (found >= 0)
			return qmp_fail(q, "the message at offset %llu has both \"%s\" and \"%s\"",
					off, keys[found], keys[i]);
		found = i;
	}
	if (found < 0)
		return qmp_fail(q, "the message at offset %llu is none of greeting, return, "
				"error, event", off);
	*kind = (enum kind)found;
	switch (*kind) {
	case K_ERROR:
		e = json_object_get(m, "error");
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "class")) ||
		    !json_is_string(json_object_get(e, "desc")))
			return qmp_fail(q, "the error reply at offset %llu is not {\"class\": "
					"string, \"desc\": string}", off);
		break;
	case K_EVENT:
		if (!json_is_string(json_object_get(m, "event")))
			return qmp_fail(q, "the event at offset %llu has a %s for its name", off,
					type_name(json_object_get(m, "event")));
		v = json_object_get(m, "data");
		if (v && !json_is_object(v))
			return qmp_fail(q, "the event at offset %llu has a %s for its data", off,
					type_name(v));
		break;
	default:
		break;
	}
	return QMP_OK;
}

static int dispatch(struct qmp *q, json_t *m)
{
	const char *name = json_string_value(json_object_get(m, "event"));

	return q->on_event ? q->on_event(q, name, m, q->event_arg) : QMP_OK;
}

/* A string member copied printable; "" if absent. */
static void member(char *dst, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		printable(dst, size, json_string_value(v), json_string_length(v));
	else
		dst[0] = '\0';
}

int qmp_execute(struct qmp *q, const char *cmd, const char *args, uint64_t deadline,
		json_t **ret)
{
	char line[512], id[32], cls[64], desc[256];
	unsigned long long off;
	json_t *m, *rid;
	enum kind kind;
	int rc;

	if (ret)
		*ret = NULL;
	snprintf(id, sizeof(id), "pm-%llu", ++q->next_id);
	snprintf(line, sizeof(line), "{\"execute\":\"%s\"%s%s,\"id\":\"%s\"}\n", cmd,
		 args ? ",\"arguments\":" : "", args ? args : "", id);
	rc = send_line(q, line, deadline);
	if (rc)
		return rc;
	for (;;) {
		rc = qmp_read(q, deadline, &m);
		if (rc == QMP_TIMEOUT) {
			char why[QMP_ERR_LEN];

			snprintf(why, sizeof(why), "%s", q->err);
			qmp_fail(q, "no reply to %s before the deadline (%s)", cmd, why);
			return QMP_TIMEOUT;
		}
		if (rc)
			return rc;
		off = q->msg_off;
		rc = classify(q, m, &kind);
		if (!rc && kind == K_GREETING)
			rc = qmp_fail(q, "a second greeting at offset %llu", off);
		if (!rc && kind == K_EVENT) {
			rc = dispatch(q, m);
			json_decref(m);
			if (rc)
				return rc;
			continue;
		}
		if (rc) {
			json_decref(m);
			return rc;
		}
		rid = json_object_get(m, "id");
		if (!json_is_string(rid) || strcmp(json_string_value(rid), id)) {
			json_decref(m);
			return qmp_fail(q, "the reply at offset %llu is not to our %s (id %s): %s",
					off, cmd, id, rid ? "another id" : "no id");
		}
		if (kind == K_ERROR) {
			member(cls, sizeof(cls), json_object_get(m, "error"), "class");
			member(desc, sizeof(desc), json_object_get(m, "error"), "desc");
			json_decref(m);
			return qmp_fail(q, "%s: QEMU says %s: %s", cmd, cls, desc);
		}
		if (ret)
			*ret = json_incref(json_object_get(m, "return"));
		json_decref(m);
		return QMP_OK;
	}
}

/* version.qemu.@key: an integer >= 0. */
static int version_part(struct qmp *q, json_t *qemu, const char *key, long long *out)
{
	json_t *v = json_object_get(qemu, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return qmp_fail(q, "the greeting's version has no integer \"%s\"", key);
	*out = json_integer_value(v);
	return QMP_OK;
}

static int greeting(struct qmp *q, json_t *m, struct qmp_greeting *g)
{
	json_t *qmp = json_object_get(m, "QMP"), *ver, *qemu, *caps, *c, *pkg;
	size_t i, used = 0, n;

	memset(g, 0, sizeof(*g));
	ver = json_object_get(qmp, "version");
	qemu = json_object_get(ver, "qemu");
	caps = json_object_get(qmp, "capabilities");
	pkg = json_object_get(ver, "package");
	if (!json_is_object(qmp) || !json_is_object(ver) || !json_is_object(qemu) ||
	    !json_is_array(caps) || !json_is_string(pkg))
		return qmp_fail(q, "the greeting is not {\"QMP\": {\"version\": {\"qemu\": {...}, "
				"\"package\": string}, \"capabilities\": [...]}}");
	if (version_part(q, qemu, "major", &g->major) || version_part(q, qemu, "minor", &g->minor) ||
	    version_part(q, qemu, "micro", &g->micro))
		return QMP_ERROR;
	printable(g->package, sizeof(g->package), json_string_value(pkg), json_string_length(pkg));
	json_array_foreach(caps, i, c) {
		if (!json_is_string(c))
			return qmp_fail(q, "the greeting's capability %zu is a %s, not a string",
					i, type_name(c));
		n = json_string_length(c);
		if (used + n + 2 > sizeof(g->caps))
			return qmp_fail(q, "the greeting's capabilities are longer than %zu bytes",
					sizeof(g->caps) - 1);
		if (used)
			g->caps[used++] = ' ';
		printable(g->caps + used, n + 1, json_string_value(c), n);
		used += n;
		g->nr_caps++;
	}
	return QMP_OK;
}

int qmp_handshake(struct qmp *q, uint64_t deadline, struct qmp_greeting *g)
{
	struct qmp_greeting dummy;
	enum kind kind;
	json_t *m, *ret;
	int rc;

	rc = qmp_read(q, deadline, &m);
	if (rc == QMP_TIMEOUT) {
		char why[QMP_ERR_LEN];

		snprintf(why, sizeof(why), "%s", q->err);
		qmp_fail(q, "no greeting from QEMU before the deadline (%s; another client "
			 "connected?)", why);
		return QMP_TIMEOUT;
	}
	if (rc)
		return rc;
	rc = classify(q, m, &kind);
	if (!rc && kind != K_GREETING)
		rc = qmp_fail(q, "the first message (offset %llu) is not QMP's greeting",
			      (unsigned long long)q->msg_off);
	if (!rc)
		rc = greeting(q, m, g ? g : &dummy);
	json_decref(m);
	if (rc)
		return rc;
	rc = qmp_execute(q, "qmp_capabilities", NULL, deadline, &ret);
	json_decref(ret);
	return rc;
}

int qmp_wait_event(struct qmp *q, uint64_t deadline)
{
	enum kind kind;
	json_t *m;
	int rc;

	rc = qmp_read(q, deadline, &m);
	if (rc)
		return rc;
	rc = classify(q, m, &kind);
	if (!rc && kind != K_EVENT)
		rc = qmp_fail(q, "unexpected %s at offset %llu: no command is waiting",
			      kind == K_GREETING ? "greeting" : "reply",
			      (unsigned long long)q->msg_off);
	if (!rc)
		rc = dispatch(q, m);
	json_decref(m);
	return rc;
}

int qmp_balloon_actual(struct qmp *q, json_t *obj, const char *what, uint64_t *actual)
{
	json_t *v = json_object_get(obj, "actual");

	if (!json_is_object(obj))
		return qmp_fail(q, "%s at offset %llu: a %s, not an object", what,
				(unsigned long long)q->msg_off, obj ? type_name(obj) : "nothing");
	if (!json_is_integer(v))
		return qmp_fail(q, "%s at offset %llu: \"actual\" is %s%s, not an integer", what,
				(unsigned long long)q->msg_off, v ? "a " : "", v ? type_name(v) : "missing");
	if (json_integer_value(v) < 0)
		return qmp_fail(q, "%s at offset %llu: \"actual\" is negative (%lld)", what,
				(unsigned long long)q->msg_off, (long long)json_integer_value(v));
	*actual = (uint64_t)json_integer_value(v);
	return QMP_OK;
}
