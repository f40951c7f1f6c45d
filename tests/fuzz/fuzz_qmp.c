// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for balloonctl's QMP client (tools/qmp.c) under ASan
 * and UBSan: the input is what QEMU would send, read in chunks of a size
 * the input picks, through balloonctl's sessions (caps; query; set: the
 * greeting, qmp_capabilities, query-balloon, balloon, BALLOON_CHANGE
 * events until the stream ends).  Input: byte 0 = chunk size - 1, byte 1
 * = session, the rest = the stream.  Traps when:
 *  - a message handed out does not lie inside the stream and end with its
 *    own "\n" there (a cut-off reply taken as whole), or is longer than
 *    QMP_MAX_LINE, or is not an object;
 *  - a session waits (QMP_TIMEOUT) on a stream that has ended, or sees
 *    the end before the end of the input;
 *  - an error message is empty, or holds a byte that is not printable
 *    ASCII (QEMU's strings reach the terminal only escaped);
 *  - the greeting's package or capabilities hold such a byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/qmp.h"
#include "../../tools/toolutil.h"

static const uint8_t *stream;
static size_t stream_len;

static void check_printable(const char *s, int may_be_empty)
{
	if (!may_be_empty && !*s)
		__builtin_trap();
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			__builtin_trap();
}

/* The framing, checked against the input independently of qmp_read(). */
static void check_msg(struct qmp *q, json_t *m)
{
	if (!json_is_object(m) || !q->msg_len || q->msg_len > QMP_MAX_LINE)
		__builtin_trap();
	if (q->msg_off + q->msg_len > stream_len)
		__builtin_trap();
	if (stream[q->msg_off + q->msg_len - 1] != '\n')
		__builtin_trap();
	if (memchr(stream + q->msg_off, '\n', q->msg_len - 1))
		__builtin_trap();
}

static int check(struct qmp *q, int rc)
{
	if (rc == QMP_TIMEOUT)
		__builtin_trap();	/* the stream never makes anyone wait */
	if (rc != QMP_OK)
		check_printable(q->err, 0);
	/* the end of the input is the only "socket closed" */
	if (q->eof && q->mem_off != q->mem_len)
		__builtin_trap();
	return rc;
}

static int on_event(struct qmp *q, const char *name, json_t *msg, void *arg)
{
	uint64_t actual;

	(void)arg;
	check_printable(q->err, 1);
	check_msg(q, msg);
	if (!name)
		__builtin_trap();
	if (strcmp(name, "BALLOON_CHANGE"))
		return QMP_OK;
	if (qmp_balloon_actual(q, json_object_get(msg, "data"), "BALLOON_CHANGE", &actual))
		return QMP_ERROR;
	if (actual > INT64_MAX)
		__builtin_trap();
	return QMP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t deadline, actual;
	struct qmp_greeting g;
	struct qmp q;
	json_t *ret, *m;
	int rc, i;

	if (size < 2)
		return 0;
	stream = data + 2;
	stream_len = size - 2;
	if (qmp_open_mem(&q, stream, stream_len, (size_t)data[0] + 1))
		__builtin_trap();
	q.on_event = on_event;
	deadline = tool_now_ns() + 10000000000ULL;
	switch (data[1] % 4) {
	case 0:		/* raw messages until the end */
		while (!check(&q, qmp_read(&q, deadline, &m))) {
			check_msg(&q, m);
			json_decref(m);
		}
		break;
	case 1:		/* caps */
		if (!check(&q, qmp_handshake(&q, deadline, &g))) {
			check_printable(g.package, 1);
			check_printable(g.caps, 1);
			if (!g.nr_caps != !g.caps[0])
				__builtin_trap();
		}
		break;
	case 2:		/* query */
		if (check(&q, qmp_handshake(&q, deadline, NULL)))
			break;
		rc = check(&q, qmp_execute(&q, "query-balloon", NULL, deadline, &ret));
		if (!rc)
			check(&q, qmp_balloon_actual(&q, ret, "query-balloon's return", &actual));
		json_decref(ret);
		break;
	default:	/* set: query, balloon, events, query */
		if (check(&q, qmp_handshake(&q, deadline, NULL)))
			break;
		rc = check(&q, qmp_execute(&q, "query-balloon", NULL, deadline, &ret));
		json_decref(ret);
		if (rc || check(&q, qmp_execute(&q, "balloon", "{\"value\":1073741824}", deadline,
						NULL)))
			break;
		for (i = 0; i < 1000 && !check(&q, qmp_wait_event(&q, deadline)); i++)
			;
		break;
	}
	qmp_close(&q);
	return 0;
}
