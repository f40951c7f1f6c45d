// SPDX-License-Identifier: GPL-2.0
/*
 * balloonlat - where the time of a virtio-balloon inflate or deflate goes.
 *
 * In the guest: per round of the driver's work item and per request to
 * the host (the series' virtio_balloon events with tp_btf, else fentry on
 * the driver's functions).  On the host (-H tracepoint, or auto on a
 * kernel without the guest's hooks), with -p QEMU's pid: QEMU's
 * madvise()/fallocate() calls, and its virtio_balloon_handle_output()
 * through a uprobe where the binary has the symbol.
 * (tools/tracer.c chooses the hooks; bpf/balloonlat.bpf.c has every variant.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pagemove/balloonlat.h"
#include "balloonlat.skel.h"
#include "json.h"
#include "tracer.h"

PM_SKEL_OPS(balloonlat_bpf);

static const char *const stage_names[] = BL_STAGE_NAMES;
static const char *const count_names[] = BL_COUNT_NAMES;

#define HANDLE_SYM "virtio_balloon_handle_output"

/*
 * The uprobes on QEMU's request handler, if attached, and whether they
 * were: the framework detaches (bl_detach) before the summary is printed.
 */
static struct bpf_link *up_link, *urp_link;
static bool handle_attached;
static char handle_why[256] = "no -p QEMU_PID";

static bool host_mode(const struct pm_run *run)
{
	return pm_run_mode(run) == PM_MODE_TRACEPOINT;
}

static bool handle_available(void)
{
	return handle_attached;
}

static void destroy_links(void)
{
	bpf_link__destroy(up_link);
	bpf_link__destroy(urp_link);
	up_link = urp_link = NULL;
}

static void bl_detach(void *s)
{
	destroy_links();
	pm_balloonlat_bpf_detach(s);
}

/* The skeleton's ops, with a detach that also drops the uprobes (main()). */
static struct pm_skel_ops bl_ops;

/*
 * Host side: the uprobes on QEMU's virtio_balloon_handle_output(), by
 * symbol in /proc/PID/exe.  A binary without the symbol (Debian's QEMU is
 * stripped) leaves the stage unavailable, which is not an error.
 */
static int on_attached(struct pm_run *run)
{
	struct balloonlat_bpf *skel = pm_run_skel(run);
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = HANDLE_SYM);
	char exe[64];
	int err;

	if (!host_mode(run)) {
		snprintf(handle_why, sizeof(handle_why), "a host-side stage (-H tracepoint)");
		return 0;
	}
	if (!pm_run_pid(run)) {
		snprintf(handle_why, sizeof(handle_why), "the uprobes need -p QEMU_PID");
		if (pm_run_filtered(run))
			return 0;
		fprintf(stderr, "balloonlat: WARNING: no -p QEMU_PID: every process's "
			"madvise()/fallocate() is counted\n");
		return 0;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pm_run_pid(run));
	up_link = bpf_program__attach_uprobe_opts(skel->progs.up_handle, pm_run_pid(run), exe,
						  0, &uo);
	err = up_link ? 0 : -errno;
	if (!err) {
		uo.retprobe = true;
		urp_link = bpf_program__attach_uprobe_opts(skel->progs.urp_handle,
							   pm_run_pid(run), exe, 0, &uo);
		err = urp_link ? 0 : -errno;
	}
	if (err) {
		destroy_links();
		snprintf(handle_why, sizeof(handle_why), "no symbol %s in %s (stripped?): %s",
			 HANDLE_SYM, exe, strerror(-err));
	}
	handle_attached = !err;
	return 0;
}

/* One ring-buffer record: one slice, or a round's slice per stage. */
static int on_event(struct pm_run *run, const void *data, size_t size)
{
	struct pm_slice sl = { 0 };
	struct bl_event e;
	uint64_t t;
	int i;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	sl.op_id = e.round;
	sl.pid = e.pid;
	sl.tgid = e.tgid;
	sl.cpu = e.cpu;
	sl.pages = e.pages;
	if (e.type != BL_EV_ROUND) {
		if (e.stage >= BL_NR_SLICE_STAGES)
			return 0;	/* qemu_handle: it contains madvise's slices */
		sl.stage = e.stage;
		sl.end_ns = e.ts_end;
		sl.dur_ns = e.dur_ns;
		pm_run_slice(run, &sl);
		return 0;
	}
	/*
	 * The round's parts but its requests (slices of their own), laid end
	 * to end from the round's start: their sums are right, their order
	 * within the round is not recorded.
	 */
	t = e.ts_end - e.dur_ns;
	for (i = BL_ALLOC; i <= BL_CONFIG; i++) {
		if (!e.part_ns[i])
			continue;
		t += e.part_ns[i];
		sl.stage = (unsigned int)i;
		sl.end_ns = t > e.ts_end ? e.ts_end : t;
		sl.dur_ns = e.part_ns[i];
		pm_run_slice(run, &sl);
	}
	return 0;
}

static bool count_available(const struct pm_run *run, int i)
{
	bool host = i >= BL_MADV_DONTNEED && i <= BL_HANDLE_CALLS;

	if (i == BL_HANDLE_CALLS)
		return host_mode(run) && handle_available();
	if (i == BL_ALLOC_PAGES || i == BL_ALLOC_FAILED)
		return pm_run_mode(run) == PM_MODE_FENTRY;
	return host ? host_mode(run) : !host_mode(run) || i == BL_INCOMPLETE;
}

static void on_snapshot(struct pm_run *run, struct pm_snapshot *s)
{
	const struct balloonlat_bpf *skel = pm_run_skel(run);
	const struct bl_totals *t = &skel->bss->totals;
	int i;

	for (i = 0; i < BL_NR_COUNTS; i++) {
		bool bytes = i == BL_MADV_BYTES || i == BL_FALLOC_BYTES;
		bool pfns = i == BL_PFN_INFLATE || i == BL_PFN_DEFLATE || i == BL_ALLOC_PAGES;
		bool host = i >= BL_MADV_DONTNEED && i <= BL_HANDLE_CALLS;

		if (host != host_mode(run) || (host_mode(run) && i == BL_INCOMPLETE))
			continue;	/* the other side's */
		s->counter[s->nr_counters++] = (struct pm_counter){
			host_mode(run) ? "host" : "guest", count_names[i], t->count[i],
			count_available(run, i), bytes ? "bytes" : pfns ? "pages" : NULL };
	}
	s->lost = t->lost_events;
}

static bool stage_available(const struct pm_run *run, int i)
{
	if (i == BL_HOST_HANDLE)
		return host_mode(run) && handle_available();
	return (i == BL_HOST_MADVISE || i == BL_HOST_FALLOCATE) == host_mode(run);
}

static void print_json(struct pm_run *run, const struct pm_snapshot *s,
		       const struct bl_totals *t)
{
	const struct pm_hist *h = s->hist;
	struct pm_json j;
	int i;

	pm_json_begin(&j, stdout);
	pm_json_obj(&j, NULL);
	pm_json_str(&j, "tool", "balloonlat");
	pm_json_str(&j, "kernel", pm_run_kernel(run));
	pm_json_str(&j, "hooks", pm_mode_name(pm_run_mode(run)));
	pm_json_str(&j, "side", host_mode(run) ? "host" : "guest");
	pm_json_u64(&j, "lost_events", t->lost_events);
	pm_json_obj(&j, "counts");
	for (i = 0; i < BL_NR_COUNTS; i++) {
		if (count_available(run, i))
			pm_json_u64(&j, count_names[i], t->count[i]);
		else
			pm_json_null(&j, count_names[i]);
	}
	pm_json_end(&j);
	pm_json_obj(&j, "stages_ns");
	for (i = 0; i < BL_NR_STAGES; i++) {
		if (stage_available(run, i))
			pm_json_hist(&j, stage_names[i], &h[i]);
		else
			pm_json_null(&j, stage_names[i]);
	}
	pm_json_end(&j);
	if (host_mode(run) && !handle_available())
		pm_json_str(&j, "qemu_handle_unavailable", handle_why);
	pm_json_end(&j);
	pm_json_finish(&j);
}

static void on_summary(struct pm_run *run, const struct pm_snapshot *s)
{
	const struct balloonlat_bpf *skel = pm_run_skel(run);
	const struct bl_totals *t = &skel->bss->totals;
	const unsigned long long *c = t->count;
	const struct pm_hist *h = s->hist;
	int i;

	if (pm_run_json(run)) {
		print_json(run, s, t);
		return;
	}
	printf("balloonlat on %s, hooks: %s (%s side)\n", pm_run_kernel(run),
	       pm_mode_name(pm_run_mode(run)), host_mode(run) ? "host" : "guest");
	if (host_mode(run)) {
		printf("madvise: calls %llu dontneed %llu willneed %llu other %llu bytes %llu\n",
		       c[BL_MADV_DONTNEED] + c[BL_MADV_WILLNEED] + c[BL_MADV_OTHER],
		       c[BL_MADV_DONTNEED], c[BL_MADV_WILLNEED], c[BL_MADV_OTHER],
		       c[BL_MADV_BYTES]);
		printf("fallocate: calls %llu bytes %llu\n", c[BL_FALLOC_CALLS], c[BL_FALLOC_BYTES]);
		if (handle_available())
			printf("handle_output: calls %llu\n", c[BL_HANDLE_CALLS]);
		else
			printf("handle_output: unavailable (%s)\n", handle_why);
	} else {
		printf("rounds %llu\n", c[BL_ROUNDS]);
		printf("requests: inflate %llu deflate %llu outside_rounds %llu\n",
		       c[BL_REQ_INFLATE], c[BL_REQ_DEFLATE], c[BL_REQ_OUTSIDE]);
		printf("pfns: inflate %llu deflate %llu\n", c[BL_PFN_INFLATE], c[BL_PFN_DEFLATE]);
	}
	printf("%-14s %8s %10s %10s %10s %10s %10s\n", "stage", "count", "total ms", "mean us",
	       "p50 us", "p99 us", "max us");
	for (i = 0; i < BL_NR_STAGES; i++) {
		if (!stage_available(run, i))
			continue;
		printf("%-14s %8llu %10.3f %10.1f %10.1f %10.1f %10.1f\n", stage_names[i],
		       h[i].count, h[i].sum / 1e6, pm_hist_mean(&h[i]) / 1e3,
		       pm_hist_percentile(&h[i], 50) / 1e3, pm_hist_percentile(&h[i], 99) / 1e3,
		       h[i].max / 1e3);
	}
	if (c[BL_INCOMPLETE])
		printf("WARNING: %llu requests whose start was not seen (tracer attached "
		       "mid-request)\n", c[BL_INCOMPLETE]);
	if (t->lost_events)
		printf("WARNING: %llu events lost (ring buffer full): the event log misses them; "
		       "the histograms above do not\n", t->lost_events);
}

static const struct pm_tracer balloonlat = {
	.name = "balloonlat",
	.version = "balloonlat 0.1",
	.doc = "Time virtio-balloon inflate and deflate: in the guest per round and per "
	       "request, on the host QEMU's madvise/fallocate calls.\n"
	       "\n"
	       "Guest stages: round (one run of the driver's work item), tell_inflate and "
	       "tell_deflate (one request: buffer, kick, ack), alloc, enqueue, dequeue, "
	       "release (per round, summed over its pages), config (the rest of the round: "
	       "config reads and writes).  Host stages (-H tracepoint, -p QEMU_PID): "
	       "madvise, fallocate (one call each), qemu_handle "
	       "(virtio_balloon_handle_output, only where QEMU has symbols, else "
	       "unavailable).  In the guest -p and -- CMD only bound the run: the "
	       "balloon's worker is a kernel thread.",
	.examples =
	"    balloonlat                                  # guest: summary at Ctrl-C\n"
	"    balloonlat -j -w bl.log                     # guest: JSON, rounds and requests to bl.log\n"
	"    balloonlat 5 3                              # guest: a summary every 5 s, 3 times\n"
	"    balloonlat -H tracepoint -p $(pidof qemu-system-x86_64)   # host: QEMU's side\n"
	"    balloonlat -j -- balloonctl -s qmp.sock set 1G   # host: during one balloon change\n"
	"    pagemove report bl.log                      # the log's stages and requests\n",
	.skel = &bl_ops,
	.hooks = {
		[PM_MODE_TP] = "rounds,requests,batches=tp_btf",
		[PM_MODE_FENTRY] = "rounds,requests,pages=fentry",
		[PM_MODE_TRACEPOINT] = "host=syscall tracepoints+uprobe",
	},
	.hint = {
		[PM_MODE_TP] = "(the virtio_balloon events come with the pagemove series)",
		[PM_MODE_FENTRY] = "(is CONFIG_VIRTIO_BALLOON built in?)",
	},
	.stages = stage_names,
	.nr_stages = BL_NR_STAGES,
	.nr_slice_stages = BL_NR_SLICE_STAGES,
	.hist_map = "hists",
	.events_map = "events",
	.event = on_event,
	.snapshot = on_snapshot,
	.summary = on_summary,
	.attached = on_attached,
};

int main(int argc, char **argv)
{
	bl_ops = balloonlat_bpf_ops;
	bl_ops.detach = bl_detach;
	return pm_tracer_main(&balloonlat, argc, argv);
}
