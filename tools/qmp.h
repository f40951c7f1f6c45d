/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A QMP client (QEMU Machine Protocol, docs/interop/qmp-spec): one
 * connection over a unix socket, or over a byte buffer for the fuzzer.
 *
 * Everything QEMU sends is untrusted input.  Each message must be one JSON
 * object (parsed by jansson) on one line of at most QMP_MAX_LINE bytes,
 * ended by "\n"; each is a greeting, a command's return or error, or an
 * event.  Anything else -- bad JSON, a line too long, a member of the wrong
 * type, a reply to a command not asked, the socket closing, mid-message or
 * not -- is an error whose message (qmp->err) gives the stream offset.
 * Every read has a deadline (CLOCK_MONOTONIC ns, tool_now_ns()); nothing
 * blocks past it.
 */
#ifndef PAGEMOVE_QMP_H
#define PAGEMOVE_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define QMP_MAX_LINE	(1 << 20)	/* longest message taken, "\n" included */
#define QMP_ERR_LEN	512

enum {
	QMP_OK = 0,
	QMP_ERROR = -1,		/* qmp->err says what */
	QMP_TIMEOUT = -2,	/* the deadline passed; qmp->err says waiting for what */
};

struct qmp;
/* Called for each event as it is read; @msg is the whole event object. */
typedef int (*qmp_event_fn)(struct qmp *q, const char *name, json_t *msg, void *arg);

struct qmp {
	int fd;				/* -1: reading from mem */
	const unsigned char *mem;
	size_t mem_len, mem_off, mem_chunk;
	char *buf;			/* received, not yet taken: QMP_MAX_LINE bytes */
	size_t len;
	uint64_t offset;		/* stream offset of buf[0] */
	uint64_t msg_off;		/* stream offset and length ("\n" included) */
	size_t msg_len;			/* of the last message read */
	unsigned long long next_id;
	bool eof;
	bool verbose;			/* each message to stderr, escaped */
	qmp_event_fn on_event;
	void *event_arg;
	char err[QMP_ERR_LEN];
};

/* Greeting: QEMU's version and the capabilities it offers. */
struct qmp_greeting {
	long long major, minor, micro;
	char package[128];		/* as sent, may hold any byte but NUL */
	char caps[256];			/* the capabilities, separated by spaces */
	unsigned int nr_caps;
};

/* Connect to @path, retrying while it does not exist or refuses, until @deadline. */
int qmp_connect(struct qmp *q, const char *path, uint64_t deadline);
/* Read QEMU's side from @data (nothing is sent), @chunk bytes per read (>= 1). */
int qmp_open_mem(struct qmp *q, const void *data, size_t size, size_t chunk);
void qmp_close(struct qmp *q);

/*
 * The next message, a JSON object the caller must json_decref(); blank
 * lines are skipped.  QMP_OK, QMP_ERROR or QMP_TIMEOUT.
 */
int qmp_read(struct qmp *q, uint64_t deadline, json_t **msg);
/* Read the greeting, negotiate (qmp_capabilities), fill @g if not NULL. */
int qmp_handshake(struct qmp *q, uint64_t deadline, struct qmp_greeting *g);
/*
 * Run @cmd with @args (a JSON object text, or NULL) and wait for its reply;
 * events read meanwhile go to on_event.  On QMP_OK *@ret (if not NULL) is
 * the "return" value, to json_decref().  An error reply is QMP_ERROR with
 * "CMD: QEMU says CLASS: DESC" in qmp->err.
 */
int qmp_execute(struct qmp *q, const char *cmd, const char *args, uint64_t deadline,
		json_t **ret);
/*
 * Read and dispatch messages until one event has gone to on_event, or
 * @deadline (QMP_TIMEOUT).  A reply here (no command is waiting) is an error.
 */
int qmp_wait_event(struct qmp *q, uint64_t deadline);
/* @obj's "actual": an integer >= 0 (query-balloon's return, BALLOON_CHANGE's data). */
int qmp_balloon_actual(struct qmp *q, json_t *obj, const char *what, uint64_t *actual);
/* Set qmp->err (printf-style) and return QMP_ERROR. */
int qmp_fail(struct qmp *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* PAGEMOVE_QMP_H */
