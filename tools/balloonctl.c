// SPDX-License-Identifier: GPL-2.0
/*
 * balloonctl - drive QEMU's virtio-balloon over QMP and time it: set the
 * guest's target, follow BALLOON_CHANGE events until `actual` reaches it,
 * stops changing, or time runs out; the host-side wall time of each change
 * from CLOCK_MONOTONIC.  The interface is fixed in the helpers' contracts
 * (README, "balloonctl").  QMP handling and its checks: tools/qmp.c.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "qmp.h"
#include "toolutil.h"

#define BALLOON_PAGE	4096ULL
#define MAX_CHANGES	100000	/* QEMU sends at most one BALLOON_CHANGE a second */

enum command { CMD_NONE, CMD_CAPS, CMD_QUERY, CMD_SET };

static struct {
	const char *sock;
	bool json, no_wait, verbose;
	double timeout, stall, reply;
	enum command cmd;
	uint64_t target;
} opt = { .timeout = 300, .stall = 30, .reply = 10 };

struct change {
	uint64_t t_ns, actual;
};

/* What the BALLOON_CHANGE events said; times from t0 (the balloon command). */
static struct {
	bool armed;		/* the balloon command was sent: record changes */
	uint64_t t0, last_move;	/* last_move: when actual last took a new value */
	uint64_t actual;	/* the latest actual, from query-balloon or an event */
	struct change *v;
	size_t n, cap;
} w;

const char *argp_program_version = "balloonctl 0.1";
static const char doc[] =
	"Drive QEMU's virtio-balloon over QMP and time it.\n"
	"\n"
	"COMMAND is one of:\n"
	"  caps       negotiate and print QEMU's version and QMP capabilities\n"
	"  query      print the balloon's actual (query-balloon): the guest's memory\n"
	"  set SIZE   set the guest's target memory (QMP balloon; SIZE in bytes or\n"
	"             with a K, M, G or T suffix, a multiple of 4 KiB), then follow\n"
	"             BALLOON_CHANGE events until actual == SIZE (result reached),\n"
	"             --timeout (result timeout) or --stall seconds without a change\n"
	"             (result stalled); query-balloon before and after\n"
	"\n"
	"set prints each change as it comes (\"change +S.SSSSSS s actual N MiB\"),\n"
	"then \"balloon: target N MiB actual N MiB result R wall S.SSSSSS s changes N\"\n"
	"with R reached, timeout or stalled (sent with --no-wait; error, the message\n"
	"on stderr, when QMP fails after the target was set).  Times: CLOCK_MONOTONIC\n"
	"from sending the balloon command.  QEMU rate-limits BALLOON_CHANGE to one a\n"
	"second, so a time can be up to 1 s late; it caps a target above the guest's\n"
	"memory at that memory.\n"
	"\v"
	"--json prints one object instead (B: bytes):\n"
	"  {\"target\":B,\"start_actual\":B,\"actual\":B,\"result\":\"reached\",\n"
	"   \"wall_ns\":N,\"changes\":[{\"t_ns\":N,\"actual\":B},...]}\n"
	"\n"
	"EXAMPLES:\n"
	"    balloonctl -s qmp.sock caps\n"
	"    balloonctl -s qmp.sock query      # actual 2147483648 bytes 2048 MiB\n"
	"    balloonctl -s qmp.sock set 1536M  # inflate the 2 GiB guest by 512 MiB\n"
	"    balloonctl -s qmp.sock --json --stall 5 set 256M  # until it stops\n"
	"    balloonctl -s qmp.sock --no-wait set 2G\n"
	"\n"
	"EXIT STATUS: 0 reached (caps, query: success), 1 timeout, stalled, a QMP\n"
	"error or the socket closing (the message says what, and at which offset\n"
	"of QEMU's output), 2 usage error.\n";

static const struct argp_option opts[] = {
	{ "socket", 's', "PATH", 0, "QEMU's QMP unix socket (required)", 0 },
	{ "json", 'j', NULL, 0, "print one JSON object", 0 },
	{ "timeout", 't', "SEC", 0, "set: give up after SEC seconds (default 300)", 0 },
	{ "stall", 'S', "SEC", 0, "set: give up after SEC seconds without a change (default 30)", 0 },
	{ "no-wait", 'n', NULL, 0, "set: return once QEMU took the target", 0 },
	{ "reply-timeout", 'r', "SEC", 0,
	  "deadline for connecting, the greeting and each reply (default 10)", 0 },
	{ "verbose", 'v', NULL, 0, "print each QMP message to stderr", 0 },
	TOOL_HELP_OPTION,
	{},
};

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

/* SIZE: bytes, or K/M/G/T (binary); > 0 and a multiple of the balloon page. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end || !v || v > ((unsigned long long)INT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 's':
		opt.sock = arg;
		break;
	case 'j':
		opt.json = true;
		break;
	case 'n':
		opt.no_wait = true;
		break;
	case 'v':
		opt.verbose = true;
		break;
	case 't':
	case 'S':
	case 'r':
		if (parse_seconds(arg, key == 't' ? &opt.timeout : key == 'S' ? &opt.stall :
				  &opt.reply))
			argp_error(state, "invalid %s: %s (seconds > 0)",
				   key == 't' ? "timeout" : key == 'S' ? "stall" : "reply timeout",
				   arg);
		break;
	case ARGP_KEY_ARG:
		if (opt.cmd == CMD_SET && !opt.target) {
			if (parse_size(arg, &opt.target))
				argp_error(state, "invalid size: %s (bytes > 0, or with K, M, G, T)",
					   arg);
			if (opt.target % BALLOON_PAGE)
				argp_error(state, "invalid size: %s is not a multiple of 4 KiB, "
					   "the balloon's page", arg);
		} else if (opt.cmd != CMD_NONE) {
			argp_error(state, "unexpected argument: %s", arg);
		} else if (!strcmp(arg, "caps")) {
			opt.cmd = CMD_CAPS;
		} else if (!strcmp(arg, "query")) {
			opt.cmd = CMD_QUERY;
		} else if (!strcmp(arg, "set")) {
			opt.cmd = CMD_SET;
		} else {
			argp_error(state, "unknown command: %s (caps, query, set SIZE)", arg);
		}
		break;
	case ARGP_KEY_END:
		if (opt.cmd == CMD_NONE)
			argp_error(state, "no command (caps, query, set SIZE)");
		if (opt.cmd == CMD_SET && !opt.target)
			argp_error(state, "set needs a SIZE");
		if (!opt.sock)
			argp_error(state, "no QMP socket (-s PATH)");
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

static uint64_t sec_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

static void print_mib(FILE *f, uint64_t bytes)
{
	if (bytes % (1 << 20))
		fprintf(f, "%.2f", bytes / 1048576.0);
	else
		fprintf(f, "%llu", (unsigned long long)(bytes >> 20));
}

static int on_event(struct qmp *q, const char *name, json_t *msg, void *arg)
{
	uint64_t actual, now = tool_now_ns();
	struct change *v;

	(void)arg;
	if (strcmp(name, "BALLOON_CHANGE"))
		return QMP_OK;
	if (qmp_balloon_actual(q, json_object_get(msg, "data"), "BALLOON_CHANGE", &actual))
		return QMP_ERROR;
	if (actual != w.actual)
		w.last_move = now;
	w.actual = actual;
	if (!w.armed)
		return QMP_OK;
	if (w.n == MAX_CHANGES)
		return qmp_fail(q, "more than %d BALLOON_CHANGE events", MAX_CHANGES);
	if (w.n == w.cap) {
		w.cap = w.cap ? 2 * w.cap : 64;
		v = realloc(w.v, w.cap * sizeof(*v));
		if (!v)
			return qmp_fail(q, "out of memory");
		w.v = v;
	}
	w.v[w.n++] = (struct change){ now - w.t0, actual };
	if (!opt.json) {
		printf("change +%.6f s actual ", (now - w.t0) / 1e9);
		print_mib(stdout, actual);
		printf(" MiB\n");
		fflush(stdout);
	}
	return QMP_OK;
}

static int query(struct qmp *q, uint64_t *actual)
{
	json_t *ret;
	int rc;

	rc = qmp_execute(q, "query-balloon", NULL, tool_now_ns() + sec_ns(opt.reply), &ret);
	if (!rc)
		rc = qmp_balloon_actual(q, ret, "query-balloon's return", actual);
	json_decref(ret);
	return rc;
}

static void print_result(const char *result, uint64_t start, uint64_t actual, uint64_t wall)
{
	size_t i;

	if (opt.json) {
		printf("{\"target\":%llu,\"start_actual\":%llu,\"actual\":%llu,\"result\":",
		       (unsigned long long)opt.target, (unsigned long long)start,
		       (unsigned long long)actual);
		pm_json_str(stdout, result);
		printf(",\"wall_ns\":%llu,\"changes\":[", (unsigned long long)wall);
		for (i = 0; i < w.n; i++)
			printf("%s{\"t_ns\":%llu,\"actual\":%llu}", i ? "," : "",
			       (unsigned long long)w.v[i].t_ns, (unsigned long long)w.v[i].actual);
		printf("]}\n");
		return;
	}
	printf("balloon: target ");
	print_mib(stdout, opt.target);
	printf(" MiB actual ");
	print_mib(stdout, actual);
	printf(" MiB result %s wall %.6f s changes %zu\n", result, wall / 1e9, w.n);
}

/* The time the last change reaching the target came, from t0. */
static uint64_t reached_at(void)
{
	return w.n ? w.v[w.n - 1].t_ns : tool_now_ns() - w.t0;
}

static int cmd_set(struct qmp *q)
{
	const char *result;
	uint64_t start, tdead, sdead, wall, now;
	char args[64];
	int rc;

	if (query(q, &start)) {
		fprintf(stderr, "balloonctl: %s\n", q->err);
		return TOOL_EXIT_ERROR;
	}
	w.actual = start;
	snprintf(args, sizeof(args), "{\"value\":%llu}", (unsigned long long)opt.target);
	w.armed = true;
	w.t0 = w.last_move = tool_now_ns();
	rc = qmp_execute(q, "balloon", args, w.t0 + sec_ns(opt.reply), NULL);
	if (rc) {
		/* QEMU refused the target: nothing was set, no result. */
		fprintf(stderr, "balloonctl: %s\n", q->err);
		return TOOL_EXIT_ERROR;
	}
	if (opt.no_wait) {
		print_result("sent", start, w.actual, tool_now_ns() - w.t0);
		return TOOL_EXIT_OK;
	}
	tdead = w.t0 + sec_ns(opt.timeout);
	for (;;) {
		if (w.actual == opt.target) {
			result = "reached";
			wall = reached_at();
			break;
		}
		sdead = w.last_move + sec_ns(opt.stall);
		rc = qmp_wait_event(q, tdead < sdead ? tdead : sdead);
		if (rc == QMP_TIMEOUT) {
			now = tool_now_ns();
			result = now >= tdead ? "timeout" : "stalled";
			wall = now - w.t0;
			break;
		}
		if (rc)
			goto qmp_error;
	}
	/* The last word is query-balloon's: it has no rate limit. */
	if (query(q, &w.actual))
		goto qmp_error;
	if (w.actual == opt.target && strcmp(result, "reached")) {
		result = "reached";
		wall = tool_now_ns() - w.t0;
	}
	print_result(result, start, w.actual, wall);
	if (strcmp(result, "reached")) {
		fprintf(stderr, "balloonctl: %s: the guest is at ", result);
		print_mib(stderr, w.actual);
		fprintf(stderr, " MiB, target ");
		print_mib(stderr, opt.target);
		if (!strcmp(result, "stalled"))
			fprintf(stderr, " MiB; no change for %g s\n", opt.stall);
		else
			fprintf(stderr, " MiB; %g s passed\n", opt.timeout);
		return TOOL_EXIT_ERROR;
	}
	return TOOL_EXIT_OK;

qmp_error:
	print_result("error", start, w.actual, tool_now_ns() - w.t0);
	fprintf(stderr, "balloonctl: %s; last actual ", q->err);
	print_mib(stderr, w.actual);
	fprintf(stderr, " MiB after %zu changes\n", w.n);
	return TOOL_EXIT_ERROR;
}

static int cmd_caps(const struct qmp_greeting *g)
{
	char *save = NULL, *c, caps[sizeof(g->caps)];
	bool first = true;

	if (!opt.json) {
		printf("qemu %lld.%lld.%lld (%s)\ncapabilities: %s\n", g->major, g->minor,
		       g->micro, g->package, g->nr_caps ? g->caps : "none");
		return TOOL_EXIT_OK;
	}
	printf("{\"qemu\":{\"major\":%lld,\"minor\":%lld,\"micro\":%lld},\"package\":",
	       g->major, g->minor, g->micro);
	pm_json_str(stdout, g->package);
	printf(",\"capabilities\":[");
	strcpy(caps, g->caps);
	for (c = strtok_r(caps, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		printf("%s", first ? "" : ",");
		pm_json_str(stdout, c);
		first = false;
	}
	printf("]}\n");
	return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, "-s SOCK caps|query|set SIZE", doc,
					  NULL, NULL, NULL };
	struct qmp_greeting g;
	struct qmp q;
	uint64_t actual;
	int rc;

	tool_argp_parse(&argp, argc, argv, TOOL_EXIT_USAGE, NULL);
	tool_handle_signals();
	rc = qmp_connect(&q, opt.sock, tool_now_ns() + sec_ns(opt.reply));
	q.verbose = opt.verbose;
	if (rc || qmp_handshake(&q, tool_now_ns() + sec_ns(opt.reply), &g)) {
		fprintf(stderr, "balloonctl: %s\n", q.err);
		qmp_close(&q);
		return TOOL_EXIT_ERROR;
	}
	q.on_event = on_event;
	switch (opt.cmd) {
	case CMD_CAPS:
		rc = cmd_caps(&g);
		break;
	case CMD_QUERY:
		if (query(&q, &actual)) {
			fprintf(stderr, "balloonctl: %s\n", q.err);
			rc = TOOL_EXIT_ERROR;
		} else if (opt.json) {
			printf("{\"actual\":%llu}\n", (unsigned long long)actual);
			rc = TOOL_EXIT_OK;
		} else {
			printf("actual %llu bytes ", (unsigned long long)actual);
			print_mib(stdout, actual);
			printf(" MiB\n");
			rc = TOOL_EXIT_OK;
		}
		break;
	default:
		rc = cmd_set(&q);
		break;
	}
	free(w.v);
	qmp_close(&q);
	return rc;
}
