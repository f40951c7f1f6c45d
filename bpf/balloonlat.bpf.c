// SPDX-License-Identifier: GPL-2.0
/*
 * balloonlat.bpf.c - where the time of a virtio-balloon inflate or deflate
 * goes: in the guest per round (one run of the driver's work item,
 * update_balloon_size_func()) and per request (tell_host(): one buffer to
 * the host, the kick, the wait for the ack); on the host, QEMU's
 * madvise()/fallocate() calls and its virtio_balloon_handle_output().
 * Summarised in the kernel (a histogram per stage, counts); one
 * ring-buffer record per round, request and host call for timelines.
 *
 * Every attach variant is here; the loader enables one hook group:
 *   tp_btf      the pagemove series' virtio_balloon events for batches,
 *               requests and the config read, workqueue_execute_start/end
 *               for the rounds and mm_page_alloc for the end of a batch's
 *               allocations (the series has no per-page event);
 *   fentry      update_balloon_size_func, leak_balloon, tell_host,
 *               balloon_page_alloc/enqueue/dequeue (fill_balloon() and
 *               update_balloon_size() are inlined in 7.3 builds: not hooked);
 *   tracepoint  the host side: syscalls:sys_{enter,exit}_{madvise,fallocate}
 *               of the traced process (-p QEMU's pid), and uprobes on
 *               virtio_balloon_handle_output, attached by the loader where
 *               QEMU's binary has the symbol.
 * Balloon work is serialised (balloon_lock, one work item), but state is
 * kept per thread, so that page migration's requests (from compaction)
 * never mix with a round's.  The guest side does not use pm_traced(): the
 * balloon's worker is a kernel thread, never the traced process.
 */
#include "vmlinux.h"
#include "tracer.bpf.h"
#include "pagemove/balloonlat.h"

#define RINGBUF_SIZE	(256 * 1024)
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define BL_OP_INFLATE	0	/* enum virtio_balloon_op of the series */
#define BL_OP_DEFLATE	1

/* For the tp_btf rounds: which work item is the balloon's (0 if absent). */
extern const void update_balloon_size_func __ksym __weak;

struct guest_st {
	__u64 round;		/* 0: no round open */
	__u64 t_round;
	__u64 t_batch;		/* batch (fill/leak) began */
	__u64 t_last_alloc;	/* tp_btf: the batch's last page allocation */
	__u64 t_fn;		/* fentry: alloc/enqueue/dequeue call began */
	__u64 t_tell;		/* request began */
	__u64 t_tell_end;	/* last request of the batch ended */
	__u64 part[BL_NR_STAGES];
	__u32 op;		/* BL_OP_* of the open batch */
	__u32 in_batch;
	__u32 tell_pfns;
	__u32 tell_inflate;
	__u32 pages;		/* pfns the round's requests carried */
	__u32 tell_depth;	/* buffers of the open request not yet ended */
};

/* A request outside a round (migration) keeps its start here. */
struct tell_st {
	__u64 t;
	__u32 pfns;
	__u32 inflate;
	__u32 depth;
	__u32 pad;
};

struct host_st {
	__u64 t;
	__u64 len;
	__u32 stage;
	__u32 advice;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct guest_st);
} guest SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tell_st);
} tells SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct host_st);
} host SEC(".maps");

/* handle_output entry times, per QEMU thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} handling SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BL_NR_STAGES);
	__type(key, __u32);
	__type(value, struct pm_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_SIZE);
} events SEC(".maps");

struct bl_totals totals;
__u64 round_seq;

static __always_inline __u32 tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void count(int i, __u64 n)
{
	if (i >= 0 && i < BL_NR_COUNTS)
		__sync_fetch_and_add(&totals.count[i], n);
}

static __always_inline void hist_add(__u32 stage, __u64 v)
{
	struct pm_hist *h = bpf_map_lookup_elem(&hists, &stage);

	if (h)
		pm_hist_add(h, v);
}

static __always_inline struct bl_event *event_reserve(void)
{
	struct bl_event *e;

	if (!pm_events)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&totals.lost_events, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->pid = tid();
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	return e;
}

/* As migratevma: wake the reader only when the ring is a quarter full. */
static __always_inline void event_submit(struct bl_event *e)
{
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
			   RINGBUF_SIZE / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* --- the guest state machine, shared by tp_btf and fentry ----------------- */

static __always_inline struct guest_st *cur(void)
{
	__u32 t = tid();

	return bpf_map_lookup_elem(&guest, &t);
}

static __always_inline void round_begin(void)
{
	struct guest_st st = {};
	__u32 t = tid();

	st.round = __sync_fetch_and_add(&round_seq, 1) + 1;
	st.t_round = bpf_ktime_get_ns();
	bpf_map_update_elem(&guest, &t, &st, BPF_ANY);
}

static __always_inline void round_end(void)
{
	__u64 now = bpf_ktime_get_ns(), d, parts = 0;
	struct guest_st *st = cur();
	struct bl_event *e;
	__u32 t = tid();
	int i;

	if (!st)
		return;
	d = now - st->t_round;
	for (i = BL_ALLOC; i <= BL_RELEASE; i++)
		parts += st->part[i];
	parts += st->part[BL_TELL_INFLATE] + st->part[BL_TELL_DEFLATE];
	st->part[BL_CONFIG] = d > parts ? d - parts : 0;
	st->part[BL_ROUND] = d;
	hist_add(BL_ROUND, d);
	for (i = BL_ALLOC; i <= BL_CONFIG; i++)
		if (st->part[i])	/* a deflate round has no alloc, ... */
			hist_add(i, st->part[i]);
	count(BL_ROUNDS, 1);
	e = event_reserve();
	if (e) {
		e->type = BL_EV_ROUND;
		e->stage = BL_ROUND;
		e->ts_end = now;
		e->dur_ns = d;
		e->round = st->round;
		e->pages = st->pages;
		for (i = 0; i < BL_NR_STAGES; i++)
			e->part_ns[i] = st->part[i];
		event_submit(e);
	}
	bpf_map_delete_elem(&guest, &t);
}

static __always_inline void batch_begin(__u32 op)
{
	struct guest_st *st = cur();

	if (!st)
		return;
	st->t_batch = bpf_ktime_get_ns();
	st->t_last_alloc = 0;
	st->t_tell_end = 0;
	st->op = op;
	st->in_batch = 1;
}

/*
 * A request is one tell_host(): with the series' bulk inflate (7/7) up to
 * 16 buffers, each with its begin and end event, queued with one kick and
 * acked one by one; without it, one buffer.  The request spans from its
 * first buffer's begin to its last buffer's end and carries the pfns of
 * the buffers that were queued.  @nr: this buffer's pfns.
 */
static __always_inline void tell_begin(struct virtio_balloon *vb, struct virtqueue *vq,
				       __u32 nr)
{
	struct tell_st ts = {}, *open;
	struct guest_st *st = cur();
	__u32 t = tid();

	if (st) {
		if (st->t_tell && st->tell_depth) {	/* another buffer of the request */
			st->tell_depth++;
			st->tell_pfns += nr;
			return;
		}
		ts.t = bpf_ktime_get_ns();
		st->t_tell = ts.t;
		st->tell_depth = 1;
		st->tell_pfns = nr;
		st->tell_inflate = vq == BPF_CORE_READ(vb, inflate_vq);
		/* tp_btf inflate: the allocations are over, enqueueing is done */
		if (st->in_batch && st->op == BL_OP_INFLATE && st->t_last_alloc) {
			st->part[BL_ALLOC] += st->t_last_alloc - st->t_batch;
			st->part[BL_ENQUEUE] += ts.t - st->t_last_alloc;
			st->t_last_alloc = 0;
		} else if (st->in_batch && st->op == BL_OP_DEFLATE && st->t_batch) {
			st->part[BL_DEQUEUE] += ts.t - st->t_batch;
		}
		return;
	}
	open = bpf_map_lookup_elem(&tells, &t);
	if (open && open->depth) {
		open->depth++;
		open->pfns += nr;
		return;
	}
	ts.t = bpf_ktime_get_ns();
	ts.pfns = nr;
	ts.inflate = vq == BPF_CORE_READ(vb, inflate_vq);
	ts.depth = 1;
	bpf_map_update_elem(&tells, &t, &ts, BPF_ANY);
}

/*
 * A buffer's end.  @ok: it was queued (tp_btf's err == 0; fexit cannot
 * tell); if not, its @nr pfns do not count.  The request ends with its
 * last buffer.
 */
static __always_inline void tell_end(bool ok, __u32 nr)
{
	__u64 now = bpf_ktime_get_ns(), start, round = 0;
	struct guest_st *st = cur();
	struct tell_st *ts = NULL;
	__u32 t = tid(), pfns, inflate, stage;
	struct bl_event *e;

	if (st && st->t_tell) {
		if (!ok)
			st->tell_pfns -= nr < st->tell_pfns ? nr : st->tell_pfns;
		if (st->tell_depth > 1) {
			st->tell_depth--;
			return;
		}
		st->tell_depth = 0;
		start = st->t_tell;
		pfns = st->tell_pfns;
		inflate = st->tell_inflate;
		round = st->round;
		st->t_tell = 0;
	} else {
		ts = bpf_map_lookup_elem(&tells, &t);
		if (!ts) {
			count(BL_INCOMPLETE, 1);
			return;
		}
		if (!ok)
			ts->pfns -= nr < ts->pfns ? nr : ts->pfns;
		if (ts->depth > 1) {
			ts->depth--;
			return;
		}
		start = ts->t;
		pfns = ts->pfns;
		inflate = ts->inflate;
		bpf_map_delete_elem(&tells, &t);
		count(BL_REQ_OUTSIDE, 1);
	}
	stage = inflate ? BL_TELL_INFLATE : BL_TELL_DEFLATE;
	hist_add(stage, now - start);
	count(inflate ? BL_REQ_INFLATE : BL_REQ_DEFLATE, 1);
	count(inflate ? BL_PFN_INFLATE : BL_PFN_DEFLATE, pfns);
	if (st && round) {
		st->part[stage] += now - start;
		st->pages += pfns;
		st->t_tell_end = now;
	}
	e = event_reserve();
	if (e) {
		e->type = BL_EV_REQUEST;
		e->stage = stage;
		e->ts_end = now;
		e->dur_ns = now - start;
		e->round = round;
		e->pages = pfns;
		event_submit(e);
	}
}

static __always_inline void batch_end(void)
{
	struct guest_st *st = cur();
	__u64 now = bpf_ktime_get_ns();

	if (!st || !st->in_batch)
		return;
	if (st->op == BL_OP_INFLATE && st->t_last_alloc) {	/* no request sent */
		st->part[BL_ALLOC] += st->t_last_alloc - st->t_batch;
		st->part[BL_ENQUEUE] += now - st->t_last_alloc;
	} else if (st->op == BL_OP_DEFLATE && st->t_tell_end) {
		st->part[BL_RELEASE] += now - st->t_tell_end;
	}
	st->in_batch = 0;
}

/* --- tp_btf: the series' events ------------------------------------------- */

SEC("tp_btf/workqueue_execute_start")
int BPF_PROG(tp_work_start, struct work_struct *work)
{
	if (&update_balloon_size_func && (void *)BPF_CORE_READ(work, func) ==
	    (void *)&update_balloon_size_func)
		round_begin();
	return 0;
}

SEC("tp_btf/workqueue_execute_end")
int BPF_PROG(tp_work_end, struct work_struct *work, work_func_t function)
{
	if (&update_balloon_size_func && (void *)function == (void *)&update_balloon_size_func)
		round_end();
	return 0;
}

SEC("tp_btf/virtio_balloon_batch_begin")
int BPF_PROG(tp_batch_begin, struct virtio_balloon *vb, int op, unsigned int requested,
	     unsigned int done)
{
	if (op == BL_OP_INFLATE || op == BL_OP_DEFLATE)
		batch_begin(op);
	return 0;
}

SEC("tp_btf/virtio_balloon_batch_end")
int BPF_PROG(tp_batch_end, struct virtio_balloon *vb, int op, unsigned int requested,
	     unsigned int done)
{
	if (op == BL_OP_INFLATE || op == BL_OP_DEFLATE)
		batch_end();
	return 0;
}

/* Each page fill_balloon() allocates; the last one ends the allocations. */
SEC("tp_btf/mm_page_alloc")
int BPF_PROG(tp_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	struct guest_st *st = cur();

	if (st && st->in_batch && st->op == BL_OP_INFLATE && page)
		st->t_last_alloc = bpf_ktime_get_ns();
	return 0;
}

/* One event pair per buffer of a request (the series' 7/7). */
SEC("tp_btf/virtio_balloon_tell_host_begin")
int BPF_PROG(tp_tell_begin, struct virtio_balloon *vb, struct virtqueue *vq,
	     const __virtio32 *pfns, unsigned int nr_pfns)
{
	tell_begin(vb, vq, nr_pfns);
	return 0;
}

SEC("tp_btf/virtio_balloon_tell_host_end")
int BPF_PROG(tp_tell_end, struct virtio_balloon *vb, struct virtqueue *vq, int err,
	     unsigned int len, const __virtio32 *pfns, unsigned int nr_pfns)
{
	tell_end(err == 0, nr_pfns);
	return 0;
}

/* --- fentry/fexit: the driver's functions, on kernels without the series -- */

SEC("fentry/update_balloon_size_func")
int BPF_PROG(fn_round, struct work_struct *work)
{
	round_begin();
	return 0;
}

SEC("fexit/update_balloon_size_func")
int BPF_PROG(fx_round, struct work_struct *work)
{
	round_end();
	return 0;
}

static __always_inline void fn_begin(void)
{
	struct guest_st *st = cur();

	if (st)
		st->t_fn = bpf_ktime_get_ns();
}

static __always_inline void fn_end(int stage)
{
	struct guest_st *st = cur();

	if (st && st->t_fn && stage >= 0 && stage < BL_NR_STAGES) {
		st->part[stage] += bpf_ktime_get_ns() - st->t_fn;
		st->t_fn = 0;
	}
}

SEC("fentry/balloon_page_alloc")
int BPF_PROG(fn_alloc)
{
	fn_begin();
	return 0;
}

SEC("fexit/balloon_page_alloc")
int BPF_PROG(fx_alloc, struct page *ret)
{
	fn_end(BL_ALLOC);
	if (cur())
		count(ret ? BL_ALLOC_PAGES : BL_ALLOC_FAILED, 1);
	return 0;
}

SEC("fentry/balloon_page_enqueue")
int BPF_PROG(fn_enqueue)
{
	fn_begin();
	return 0;
}

SEC("fexit/balloon_page_enqueue")
int BPF_PROG(fx_enqueue)
{
	fn_end(BL_ENQUEUE);
	return 0;
}

SEC("fentry/balloon_page_dequeue")
int BPF_PROG(fn_dequeue)
{
	fn_begin();
	return 0;
}

SEC("fexit/balloon_page_dequeue")
int BPF_PROG(fx_dequeue)
{
	fn_end(BL_DEQUEUE);
	return 0;
}

SEC("fentry/leak_balloon")
int BPF_PROG(fn_leak)
{
	batch_begin(BL_OP_DEFLATE);
	return 0;
}

/* Release: from the ack to leak_balloon()'s return (release_pages_balloon). */
SEC("fexit/leak_balloon")
int BPF_PROG(fx_leak)
{
	batch_end();
	return 0;
}

SEC("fentry/tell_host")
int BPF_PROG(fn_tell, struct virtio_balloon *vb, struct virtqueue *vq)
{
	struct guest_st *st = cur();
	bool deflate = st && st->in_batch && st->op == BL_OP_DEFLATE;

	/* Dequeue time is summed per page in this mode: not from the batch. */
	if (st && deflate)
		st->in_batch = 0;
	tell_begin(vb, vq, BPF_CORE_READ(vb, num_pfns));
	if (st && deflate)
		st->in_batch = 1;
	return 0;
}

SEC("fexit/tell_host")
int BPF_PROG(fx_tell, struct virtio_balloon *vb, struct virtqueue *vq)
{
	tell_end(true, 0);
	return 0;
}

/* --- tracepoint/uprobe: QEMU on the host ---------------------------------- */

static __always_inline void host_enter(__u32 stage, __u64 len, __u32 advice)
{
	struct host_st h = { .t = bpf_ktime_get_ns(), .len = len, .stage = stage,
			     .advice = advice };
	__u32 t = tid();

	if (!pm_traced())
		return;
	bpf_map_update_elem(&host, &t, &h, BPF_ANY);
}

static __always_inline void host_exit(void)
{
	__u64 now = bpf_ktime_get_ns();
	struct host_st *h;
	struct bl_event *e;
	__u32 t = tid();

	h = bpf_map_lookup_elem(&host, &t);
	if (!h)
		return;
	hist_add(h->stage, now - h->t);
	if (h->stage == BL_HOST_MADVISE) {
		count(h->advice == MADV_DONTNEED ? BL_MADV_DONTNEED :
		      h->advice == MADV_WILLNEED ? BL_MADV_WILLNEED : BL_MADV_OTHER, 1);
		count(BL_MADV_BYTES, h->len);
	} else {
		count(BL_FALLOC_CALLS, 1);
		count(BL_FALLOC_BYTES, h->len);
	}
	e = event_reserve();
	if (e) {
		e->type = BL_EV_HOST;
		e->stage = h->stage;
		e->ts_end = now;
		e->dur_ns = now - h->t;
		e->pages = h->len >> 12 > 0xffffffffULL ? 0xffffffff : h->len >> 12;
		event_submit(e);
	}
	bpf_map_delete_elem(&host, &t);
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int tp_madvise_enter(struct trace_event_raw_sys_enter *ctx)
{
	host_enter(BL_HOST_MADVISE, BPF_CORE_READ(ctx, args[1]), BPF_CORE_READ(ctx, args[2]));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int tp_madvise_exit(struct trace_event_raw_sys_exit *ctx)
{
	host_exit();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_fallocate")
int tp_fallocate_enter(struct trace_event_raw_sys_enter *ctx)
{
	host_enter(BL_HOST_FALLOCATE, BPF_CORE_READ(ctx, args[3]), 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_fallocate")
int tp_fallocate_exit(struct trace_event_raw_sys_exit *ctx)
{
	host_exit();
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(up_handle)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 t = tid();

	if (pm_traced())
		bpf_map_update_elem(&handling, &t, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(urp_handle)
{
	__u64 now = bpf_ktime_get_ns(), *start;
	struct bl_event *e;
	__u32 t = tid();

	start = bpf_map_lookup_elem(&handling, &t);
	if (!start)
		return 0;
	hist_add(BL_HOST_HANDLE, now - *start);
	count(BL_HANDLE_CALLS, 1);
	e = event_reserve();
	if (e) {
		e->type = BL_EV_HOST;
		e->stage = BL_HOST_HANDLE;
		e->ts_end = now;
		e->dur_ns = now - *start;
		event_submit(e);
	}
	bpf_map_delete_elem(&handling, &t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
