// SPDX-License-Identifier: GPL-2.0
/*
 * migratevma.bpf.c - stages of device migration (migrate_vma_setup() ..
 * migrate_vma_finalize()), per thread, summarised in the kernel (one
 * log-linear histogram per stage, page counts, per-reason page counts) and
 * one ring-buffer event per finished migration for timelines.
 *
 * Every attach variant is here; the loader enables one per hook group:
 *   tp_btf   the pagemove series' migrate_device events (all stages and
 *            reasons);
 *   fentry   migrate_vma_setup/pages/finalize and migrate_device_unmap
 *            (no reasons: the kernel does not say them without the series);
 *   kprobe   the same functions, where fentry is not allowed.
 * The handlers are thin wrappers around the on_*() state machine, which
 * only follows the processes pm_traced() accepts (bpf/tracer.bpf.h).
 */
#include "vmlinux.h"
#include "tracer.bpf.h"
#include "pagemove/migratevma.h"

#define MIGRATE_PFN_MIGRATE	(1UL << 1)	/* include/linux/migrate.h */
#define MIGRATE_PFN_VALID	(1UL << 0)
#define MIGRATE_PFN_COMPOUND	(1UL << 4)
#define PMD_NR			512		/* x86-64 HPAGE_PMD_NR */
#define RINGBUF_SIZE		(256 * 1024)

enum { T_SETUP_BEGIN, T_COLLECT_END, T_SETUP_END, T_PAGES_BEGIN, T_PAGES_END,
       T_FINALIZE_BEGIN, T_NR };

struct inflight {
	__u64 op_id;
	__u64 t[T_NR];
	__u64 pages[MV_NR_COUNTS];
	__u64 args;		/* struct migrate_vma * (fentry/kprobe) */
	__u64 unmap_src;	/* migrate_device_unmap() args (kprobe) */
	__u64 unmap_n;
	__u64 collected_entries;	/* src entries marked at collect (no THP) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MV_NR_STAGES);
	__type(key, __u32);
	__type(value, struct pm_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_SIZE);
} events SEC(".maps");

struct mv_totals totals;
__u64 op_seq;

static __always_inline struct inflight *current_op(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&inflight, &tid);
}

static __always_inline void stage_hist_add(__u32 stage, __u64 v)
{
	struct pm_hist *h = bpf_map_lookup_elem(&hists, &stage);

	if (h)
		pm_hist_add(h, v);
}

/*
 * A src array is read a chunk at a time into a per-CPU buffer: one helper
 * call per 64 entries instead of one per entry (the walks were most of the
 * tracer's cost on a kernel without the series).
 */
#define WALK_CHUNK	64

struct walk_buf {
	unsigned long src[WALK_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_buf);
} walkbuf SEC(".maps");

struct walk_ctx {
	const unsigned long *src;
	__u64 n;
	__u64 marked;	/* 2 x entries marked for migration */
	__u64 thp;	/* 2 x those also marked compound */
	struct walk_buf *b;
};

static long walk_chunk(__u32 c, void *ctx)
{
	struct walk_ctx *w = ctx;
	__u64 off = (__u64)c * WALK_CHUNK, cnt, marked = 0, thp = 0;
	unsigned long v;
	int i;

	if (off >= w->n)
		return 1;
	cnt = w->n - off;
	if (cnt > WALK_CHUNK)
		cnt = WALK_CHUNK;
	if (cnt == 0 || bpf_probe_read_kernel(w->b->src, cnt * sizeof(v), w->src + off))
		return 1;
	/*
	 * Branch-free on purpose: the verifier then treats the count as an
	 * unknown scalar and sees the callback's states converge.  Entries
	 * past cnt are stale: the mask ((i - cnt) >> 63 is 1 below cnt)
	 * clears them.  MIGRATE is bit 1 and COMPOUND bit 4, so v & 2 and
	 * (v >> 3) & v & 2 count both at three instructions an entry.
	 */
	for (i = 0; i < WALK_CHUNK; i++) {
		v = w->b->src[i] & -(((__u64)i - cnt) >> 63);
		marked += v & MIGRATE_PFN_MIGRATE;
		thp += (v >> 3) & v & MIGRATE_PFN_MIGRATE;
	}
	w->marked += marked;
	w->thp += thp;
	return 0;
}

/*
 * Pages still marked for migration in a src array (kernel memory): a
 * compound entry counts PMD_NR pages.  *@entries, if given, gets the
 * marked entries, or ~0 if any of them is compound.
 */
static __always_inline __u64 count_migrating(const unsigned long *src, __u64 n,
					     __u64 *entries)
{
	__u32 zero = 0;
	struct walk_ctx w = { .src = src, .b = bpf_map_lookup_elem(&walkbuf, &zero) };

	if (!w.b)
		return 0;
	if (n > MV_MAX_WALK) {
		__sync_fetch_and_add(&totals.walk_truncated, 1);
		n = MV_MAX_WALK;
	}
	w.n = n;
	bpf_loop((n + WALK_CHUNK - 1) / WALK_CHUNK, walk_chunk, &w, 0);
	if (entries)
		*entries = w.thp ? ~0ULL : w.marked / 2;
	return (w.marked + w.thp * (PMD_NR - 1)) / 2;
}

/* --- the state machine, shared by every variant --------------------------- */

static __always_inline void on_setup_begin(__u64 npages, __u64 args)
{
	struct inflight st = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!pm_traced())
		return;
	st.op_id = __sync_fetch_and_add(&op_seq, 1) + 1;
	st.t[T_SETUP_BEGIN] = bpf_ktime_get_ns();
	st.pages[MV_REQUESTED] = npages;
	st.args = args;
	bpf_map_update_elem(&inflight, &tid, &st, BPF_ANY);
}

static __always_inline void on_collect_end(__u64 collected)
{
	struct inflight *st = current_op();

	if (!st)
		return;
	st->t[T_COLLECT_END] = bpf_ktime_get_ns();
	st->pages[MV_COLLECTED] = collected;
	if (!collected) {	/* nothing to unmap: setup ends here */
		st->t[T_SETUP_END] = st->t[T_COLLECT_END];
		st->pages[MV_UNMAPPED] = 0;
	}
}

static __always_inline void on_unmap_end(__u64 unmapped)
{
	struct inflight *st = current_op();

	if (!st || !st->t[T_COLLECT_END])
		return;	/* migrate_device_range() et al.: not a migrate_vma_* */
	st->t[T_SETUP_END] = bpf_ktime_get_ns();
	st->pages[MV_UNMAPPED] = unmapped;
}

static __always_inline void on_pages_begin(void)
{
	struct inflight *st = current_op();

	if (st)
		st->t[T_PAGES_BEGIN] = bpf_ktime_get_ns();
}

static __always_inline void on_pages_end(__u64 migrated)
{
	struct inflight *st = current_op();

	if (!st)
		return;
	st->t[T_PAGES_END] = bpf_ktime_get_ns();
	st->pages[MV_MIGRATED] = migrated;
}

static __always_inline void on_finalize_begin(void)
{
	struct inflight *st = current_op();

	if (st)
		st->t[T_FINALIZE_BEGIN] = bpf_ktime_get_ns();
}

static __always_inline void on_finalize_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *st = bpf_map_lookup_elem(&inflight, &tid);
	__u64 now = bpf_ktime_get_ns(), d[MV_NR_STAGES];
	struct mv_event *e;
	int i;

	if (!st)
		return;
	/* A driver may finalize without migrate_vma_pages() (copy failed). */
	if (!st->t[T_COLLECT_END] || !st->t[T_SETUP_END] || !st->t[T_PAGES_BEGIN] ||
	    !st->t[T_PAGES_END] || !st->t[T_FINALIZE_BEGIN]) {
		__sync_fetch_and_add(&totals.incomplete, 1);
		bpf_map_delete_elem(&inflight, &tid);
		return;
	}
	d[MV_COLLECT] = st->t[T_COLLECT_END] - st->t[T_SETUP_BEGIN];
	d[MV_UNMAP] = st->t[T_SETUP_END] - st->t[T_COLLECT_END];
	d[MV_COPY] = st->t[T_PAGES_BEGIN] - st->t[T_SETUP_END];
	d[MV_PAGES] = st->t[T_PAGES_END] - st->t[T_PAGES_BEGIN];
	d[MV_MAP] = st->t[T_FINALIZE_BEGIN] - st->t[T_PAGES_END];
	d[MV_FINALIZE] = now - st->t[T_FINALIZE_BEGIN];
	d[MV_TOTAL] = now - st->t[T_SETUP_BEGIN];
	for (i = 0; i < MV_NR_STAGES; i++)
		stage_hist_add(i, d[i]);
	__sync_fetch_and_add(&totals.migrations, 1);
	for (i = 0; i < MV_NR_COUNTS; i++)
		__sync_fetch_and_add(&totals.pages[i], st->pages[i]);

	if (!pm_events)	/* no event log: nobody reads the ring */
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&totals.lost_events, 1);
	} else {
		e->op_id = st->op_id;
		e->ts_end = now;
		for (i = 0; i < MV_NR_STAGES; i++)
			e->dur_ns[i] = d[i];
		for (i = 0; i < MV_NR_COUNTS; i++)
			e->pages[i] = st->pages[i];
		e->pid = tid;
		e->tgid = bpf_get_current_pid_tgid() >> 32;
		e->cpu = bpf_get_smp_processor_id();
		e->pad = 0;
		/*
		 * Wake the reader only once the ring is a quarter full: it polls
		 * every 100 ms anyway, and a wake-up per migration (an irq_work
		 * and a context switch) cost more than the rest of this program.
		 */
		bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
				      RINGBUF_SIZE / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	}
out:
	bpf_map_delete_elem(&inflight, &tid);
}

static __always_inline void on_reason(__u64 nr_pages, int reason)
{
	if (!pm_traced() || reason < 0 || reason >= MV_NR_REASONS)
		return;
	__sync_fetch_and_add(&totals.reason_pages[reason], nr_pages);
}

/* --- tp_btf: the series' events ------------------------------------------- */

SEC("tp_btf/migrate_vma_setup_begin")
int BPF_PROG(tp_setup_begin, struct mm_struct *mm, unsigned long start, unsigned long npages)
{
	on_setup_begin(npages, 0);
	return 0;
}

SEC("tp_btf/migrate_vma_collect_end")
int BPF_PROG(tp_collect, unsigned long npages, unsigned long nr_pages)
{
	on_collect_end(nr_pages);
	return 0;
}

SEC("tp_btf/migrate_device_unmap_end")
int BPF_PROG(tp_unmap, unsigned long npages, unsigned long nr_pages)
{
	on_unmap_end(nr_pages);
	return 0;
}

SEC("tp_btf/migrate_vma_pages_begin")
int BPF_PROG(tp_pages_begin, struct mm_struct *mm, unsigned long start, unsigned long npages)
{
	on_pages_begin();
	return 0;
}

SEC("tp_btf/migrate_device_pages_end")
int BPF_PROG(tp_pages_end, unsigned long npages, unsigned long nr_pages)
{
	on_pages_end(nr_pages);
	return 0;
}

SEC("tp_btf/migrate_vma_finalize_begin")
int BPF_PROG(tp_finalize_begin, struct mm_struct *mm, unsigned long start, unsigned long npages)
{
	on_finalize_begin();
	return 0;
}

SEC("tp_btf/migrate_device_finalize_end")
int BPF_PROG(tp_finalize_end, unsigned long npages, unsigned long nr_pages)
{
	on_finalize_end();
	return 0;
}

SEC("tp_btf/migrate_vma_hole")
int BPF_PROG(tp_hole, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	on_reason(nr_pages, reason);
	return 0;
}

SEC("tp_btf/migrate_vma_collect_fail")
int BPF_PROG(tp_skip, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	on_reason(nr_pages, reason);
	return 0;
}

SEC("tp_btf/migrate_device_unmap_fail")
int BPF_PROG(tp_unmap_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	on_reason(nr_pages, reason);
	return 0;
}

SEC("tp_btf/migrate_device_pages_fail")
int BPF_PROG(tp_pages_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	on_reason(nr_pages, reason);
	return 0;
}

/* --- fentry/fexit: the functions, on kernels without the series ----------- */

static __always_inline __u64 range_pages(struct migrate_vma *args)
{
	return (BPF_CORE_READ(args, end) - BPF_CORE_READ(args, start)) >> 12;
}

static __always_inline void setup_returned(int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *st = bpf_map_lookup_elem(&inflight, &tid);

	if (!st)
		return;
	if (ret) {	/* -EINVAL: nothing was set up */
		bpf_map_delete_elem(&inflight, &tid);
		return;
	}
	if (!st->t[T_COLLECT_END])	/* nothing collected: no unmap call */
		on_collect_end(0);
}

static __always_inline void pages_returned(void)
{
	struct inflight *st = current_op();
	struct migrate_vma *args;

	if (!st)
		return;
	args = (struct migrate_vma *)st->args;
	on_pages_end(count_migrating(BPF_CORE_READ(args, src), BPF_CORE_READ(args, npages),
				     NULL));
}

/* migrate_device_unmap() called: collect is over, count what it marked. */
static __always_inline void unmap_called(const unsigned long *src, __u64 n)
{
	struct inflight *st = current_op();
	__u64 entries;

	if (!st)
		return;	/* not in a traced migrate_vma_setup(): no walk */
	st->unmap_src = (__u64)src;
	st->unmap_n = n;
	on_collect_end(count_migrating(src, n, &entries));
	st->collected_entries = entries;
}

/*
 * migrate_device_unmap() returned @ret, the entries it left marked.  If
 * that is every entry collect marked and none was compound, no page was
 * restored and none turned out to be part of a large folio (it would have
 * been counted once for the entries it skipped): collect's page count
 * holds, and the src array need not be walked again.
 */
static __always_inline void unmap_returned(__u64 ret)
{
	struct inflight *st = current_op();

	if (!st)
		return;
	on_unmap_end(ret == st->collected_entries ? st->pages[MV_COLLECTED] :
		     count_migrating((const unsigned long *)st->unmap_src, st->unmap_n, NULL));
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fn_setup, struct migrate_vma *args)
{
	on_setup_begin(range_pages(args), (__u64)args);
	return 0;
}

SEC("fexit/migrate_vma_setup")
int BPF_PROG(fx_setup, struct migrate_vma *args, int ret)
{
	setup_returned(ret);
	return 0;
}

SEC("fentry/migrate_device_unmap")
int BPF_PROG(fn_unmap, unsigned long *src_pfns, unsigned long npages, struct page *fault_page)
{
	unmap_called(src_pfns, npages);
	return 0;
}

SEC("fexit/migrate_device_unmap")
int BPF_PROG(fx_unmap, unsigned long *src_pfns, unsigned long npages, struct page *fault_page,
	     unsigned long ret)
{
	unmap_returned(ret);
	return 0;
}

SEC("fentry/migrate_vma_pages")
int BPF_PROG(fn_pages, struct migrate_vma *migrate)
{
	on_pages_begin();
	return 0;
}

SEC("fexit/migrate_vma_pages")
int BPF_PROG(fx_pages, struct migrate_vma *migrate)
{
	pages_returned();
	return 0;
}

SEC("fentry/migrate_vma_finalize")
int BPF_PROG(fn_finalize, struct migrate_vma *migrate)
{
	on_finalize_begin();
	return 0;
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fx_finalize, struct migrate_vma *migrate)
{
	on_finalize_end();
	return 0;
}

/* --- kprobe/kretprobe: where fentry is refused ---------------------------- */

SEC("kprobe/migrate_vma_setup")
int BPF_KPROBE(kp_setup, struct migrate_vma *args)
{
	on_setup_begin(range_pages(args), (__u64)args);
	return 0;
}

SEC("kretprobe/migrate_vma_setup")
int BPF_KRETPROBE(krp_setup, int ret)
{
	setup_returned(ret);
	return 0;
}

SEC("kprobe/migrate_device_unmap")
int BPF_KPROBE(kp_unmap, unsigned long *src_pfns, unsigned long npages)
{
	unmap_called(src_pfns, npages);
	return 0;
}

SEC("kretprobe/migrate_device_unmap")
int BPF_KRETPROBE(krp_unmap, unsigned long ret)
{
	unmap_returned(ret);
	return 0;
}

SEC("kprobe/migrate_vma_pages")
int BPF_KPROBE(kp_pages)
{
	on_pages_begin();
	return 0;
}

SEC("kretprobe/migrate_vma_pages")
int BPF_KRETPROBE(krp_pages)
{
	pages_returned();
	return 0;
}

SEC("kprobe/migrate_vma_finalize")
int BPF_KPROBE(kp_finalize)
{
	on_finalize_begin();
	return 0;
}

SEC("kretprobe/migrate_vma_finalize")
int BPF_KRETPROBE(krp_finalize)
{
	on_finalize_end();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
