// SPDX-License-Identifier: GPL-2.0
/*
 * tpcheck.bpf.c - count what the pagemove series' tracepoints report and,
 * independently, the calls and results of the functions they sit in
 * (fentry/fexit), so that a test can check one against the other.
 * Loads only on a kernel with the series (raw_tp attach by event name).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pagemove/tpcheck.h"

#define EBUSY 16

/* From the series' trace headers (include/trace/events/{zsmalloc,balloon}.h). */
#define ZS_MIGRATE_SUCCESS	0
#define ZS_MIGRATE_BUSY		1
#define BALLOON_DIR_INFLATE	0
#define BALLOON_DIR_DEFLATE	1

struct tpcheck_counts counts;

#define INC(field) __sync_fetch_and_add(&counts.field, 1)
#define ADD(field, v) __sync_fetch_and_add(&counts.field, (v))

/* migrate_device */
#define MIGRATE_PFN_VALID	(1UL << 0)	/* include/linux/migrate.h */
#define MIGRATE_PFN_MIGRATE	(1UL << 1)
#define MIGRATE_PFN_COMPOUND	(1UL << 4)
#define PMD_NR			512		/* x86-64 HPAGE_PMD_NR */
#define MAX_WALK		(1 << 20)

/*
 * Every series event is counted by the tracepoint it comes from; the page
 * counts they carry are summed, per reason for the *_fail events.  The
 * arguments are those of include/trace/events/migrate_device.h.
 */
static __always_inline void md_reason(unsigned long nr_pages, int reason)
{
	if (reason >= 0 && reason < TPCHECK_MD_NR_REASONS)
		__sync_fetch_and_add(&counts.md_reason_pages[reason], nr_pages);
	else
		INC(tp_md_unknown_reason);
}

/*
 * A *_fail event: its pages by path (mm NULL: device pfns; @setup: dropped
 * before migrate_device_range()/_pfns() return) and by reason.
 */
static __always_inline void md_fail(struct mm_struct *mm, unsigned long nr_pages,
				    int reason, bool setup)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	ADD(tp_md_fail_pages, nr_pages);
	if (!mm) {
		if (setup)
			ADD(tp_md_fail_pages_pfn, nr_pages);
	} else {
		ADD(tp_md_fail_pages_vma, nr_pages);
		if (mm == BPF_CORE_READ(task, mm))
			INC(tp_md_fail_mm_current);
		else
			INC(tp_md_fail_mm_other);
	}
	md_reason(nr_pages, reason);
}

SEC("raw_tp/migrate_vma_setup_begin")
int BPF_PROG(tp_setup_begin, struct mm_struct *mm, unsigned long start,
	     unsigned long npages)
{
	INC(tp_migrate_vma_setup_begin);
	ADD(tp_md_setup_npages, npages);
	return 0;
}
SEC("raw_tp/migrate_vma_collect_end")
int BPF_PROG(tp_collect_end) { INC(tp_migrate_vma_collect_end); return 0; }
SEC("raw_tp/migrate_device_range_begin")
int BPF_PROG(tp_range_begin, unsigned long pfn, unsigned long npages)
{
	INC(tp_migrate_device_range_begin);
	ADD(tp_md_pfn_npages, npages);
	return 0;
}
SEC("raw_tp/migrate_device_pfns_begin")
int BPF_PROG(tp_pfns_begin, unsigned long pfn, unsigned long npages)
{
	INC(tp_migrate_device_pfns_begin);
	ADD(tp_md_pfn_npages, npages);
	return 0;
}
SEC("raw_tp/migrate_device_unmap_begin")
int BPF_PROG(tp_unmap_begin) { INC(tp_migrate_device_unmap_begin); return 0; }
SEC("raw_tp/migrate_device_unmap_end")
int BPF_PROG(tp_unmap_end) { INC(tp_migrate_device_unmap_end); return 0; }
SEC("raw_tp/migrate_vma_pages_begin")
int BPF_PROG(tp_vma_pages_begin) { INC(tp_migrate_vma_pages_begin); return 0; }
SEC("raw_tp/migrate_device_pages_begin")
int BPF_PROG(tp_pages_begin) { INC(tp_migrate_device_pages_begin); return 0; }
SEC("raw_tp/migrate_device_pages_end")
int BPF_PROG(tp_pages_end, unsigned long npages, unsigned long nr_pages)
{
	INC(tp_migrate_device_pages_end);
	ADD(tp_md_pages_end_pages, nr_pages);
	return 0;
}
SEC("raw_tp/migrate_vma_finalize_begin")
int BPF_PROG(tp_vma_finalize_begin) { INC(tp_migrate_vma_finalize_begin); return 0; }
SEC("raw_tp/migrate_device_finalize_begin")
int BPF_PROG(tp_finalize_begin) { INC(tp_migrate_device_finalize_begin); return 0; }
SEC("raw_tp/migrate_device_finalize_end")
int BPF_PROG(tp_finalize_end, unsigned long npages, unsigned long nr_pages)
{
	INC(tp_migrate_device_finalize_end);
	ADD(tp_md_finalize_end_pages, nr_pages);
	return 0;
}
SEC("raw_tp/migrate_vma_hole")
int BPF_PROG(tp_hole, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	INC(tp_migrate_vma_hole);
	md_reason(nr_pages, reason);
	return 0;
}
SEC("raw_tp/migrate_vma_collect_fail")
int BPF_PROG(tp_collect_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	INC(tp_migrate_vma_collect_fail);
	md_fail(mm, nr_pages, reason, false);
	return 0;
}
SEC("raw_tp/migrate_device_lock_fail")
int BPF_PROG(tp_lock_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	INC(tp_migrate_device_lock_fail);
	md_fail(mm, nr_pages, reason, true);
	return 0;
}
SEC("raw_tp/migrate_device_unmap_fail")
int BPF_PROG(tp_unmap_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	INC(tp_migrate_device_unmap_fail);
	md_fail(mm, nr_pages, reason, true);
	return 0;
}
SEC("raw_tp/migrate_device_pages_fail")
int BPF_PROG(tp_pages_fail, struct mm_struct *mm, unsigned long addr, unsigned long pfn,
	     unsigned long nr_pages, int reason)
{
	INC(tp_migrate_device_pages_fail);
	md_fail(mm, nr_pages, reason, false);
	return 0;
}

/*
 * Independently of the events: the calls, and the pages the src/dst arrays
 * still mark for migration when the functions return (a compound entry
 * counts PMD_NR pages, as include/linux/migrate.h defines it).
 */
struct walk_ctx {
	const unsigned long *src;
	const unsigned long *dst;
	__u64 nr;
};

static long walk_one(__u64 i, void *ctx)
{
	struct walk_ctx *w = ctx;
	unsigned long s = 0, d = MIGRATE_PFN_VALID;

	if (bpf_probe_read_kernel(&s, sizeof(s), w->src + i))
		return 1;
	if (w->dst && bpf_probe_read_kernel(&d, sizeof(d), w->dst + i))
		return 1;
	if ((s & MIGRATE_PFN_MIGRATE) && (d & MIGRATE_PFN_VALID))
		w->nr += (s & MIGRATE_PFN_COMPOUND) ? PMD_NR : 1;
	return 0;
}

static __always_inline __u64 walk_marked(const unsigned long *src, const unsigned long *dst,
					 __u64 n)
{
	struct walk_ctx w = { .src = src, .dst = dst };

	if (n > MAX_WALK) {
		INC(fx_walk_truncated);
		n = MAX_WALK;
	}
	bpf_loop(n, walk_one, &w, 0);
	return w.nr;
}

SEC("fexit/migrate_vma_setup")
int BPF_PROG(fx_setup, struct migrate_vma *args, int ret)
{
	if (ret == 0)
		INC(fx_migrate_vma_setup_ok);
	return 0;
}
SEC("fentry/migrate_device_range")
int BPF_PROG(fn_device_range) { INC(fn_migrate_device_range); return 0; }
SEC("fexit/migrate_device_range")
int BPF_PROG(fx_device_range, unsigned long *src_pfns, unsigned long start,
	     unsigned long npages, int ret)
{
	ADD(fx_pfn_npages, npages);
	ADD(fx_pfn_marked_pages, walk_marked(src_pfns, NULL, npages));
	return 0;
}
SEC("fentry/migrate_device_pfns")
int BPF_PROG(fn_device_pfns) { INC(fn_migrate_device_pfns); return 0; }
SEC("fexit/migrate_device_pfns")
int BPF_PROG(fx_device_pfns, unsigned long *src_pfns, unsigned long npages, int ret)
{
	ADD(fx_pfn_npages, npages);
	ADD(fx_pfn_marked_pages, walk_marked(src_pfns, NULL, npages));
	return 0;
}
SEC("fentry/migrate_device_unmap")
int BPF_PROG(fn_device_unmap) { INC(fn_migrate_device_unmap); return 0; }
SEC("fexit/migrate_device_unmap")
int BPF_PROG(fx_device_unmap) { INC(fx_migrate_device_unmap); return 0; }
SEC("fentry/migrate_vma_pages")
int BPF_PROG(fn_vma_pages) { INC(fn_migrate_vma_pages); return 0; }
SEC("fexit/migrate_vma_pages")
int BPF_PROG(fx_vma_pages, struct migrate_vma *migrate)
{
	INC(fx_migrate_pages);
	ADD(fx_pages_walk_pages, walk_marked(BPF_CORE_READ(migrate, src),
					     BPF_CORE_READ(migrate, dst),
					     BPF_CORE_READ(migrate, npages)));
	return 0;
}
SEC("fentry/migrate_device_pages")
int BPF_PROG(fn_device_pages) { INC(fn_migrate_device_pages); return 0; }
SEC("fexit/migrate_device_pages")
int BPF_PROG(fx_device_pages, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	INC(fx_migrate_pages);
	ADD(fx_pages_walk_pages, walk_marked(src_pfns, dst_pfns, npages));
	return 0;
}
SEC("fentry/migrate_vma_finalize")
int BPF_PROG(fn_vma_finalize) { INC(fn_migrate_vma_finalize); return 0; }
SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fx_vma_finalize, struct migrate_vma *migrate)
{
	INC(fx_migrate_finalize);
	ADD(fx_finalize_walk_pages, walk_marked(BPF_CORE_READ(migrate, src),
						BPF_CORE_READ(migrate, dst),
						BPF_CORE_READ(migrate, npages)));
	return 0;
}
SEC("fentry/migrate_device_finalize")
int BPF_PROG(fn_device_finalize) { INC(fn_migrate_device_finalize); return 0; }
SEC("fexit/migrate_device_finalize")
int BPF_PROG(fx_device_finalize, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	INC(fx_migrate_finalize);
	ADD(fx_finalize_walk_pages, walk_marked(src_pfns, dst_pfns, npages));
	return 0;
}

/* zsmalloc */
SEC("raw_tp/zs_page_isolate")
int BPF_PROG(tp_zs_isolate) { INC(tp_zs_page_isolate); return 0; }
SEC("raw_tp/zs_page_migrate_begin")
int BPF_PROG(tp_zs_migrate_begin) { INC(tp_zs_page_migrate_begin); return 0; }
SEC("raw_tp/zs_page_migrate_end")
int BPF_PROG(tp_zs_migrate_end, unsigned long pfn, unsigned long newpfn,
	     unsigned int class_size, unsigned int nr_objs, int result)
{
	INC(tp_zs_page_migrate_end);
	ADD(tp_zs_page_migrate_objs, nr_objs);
	if (result == ZS_MIGRATE_SUCCESS)
		INC(tp_zs_page_migrate_success);
	else if (result == ZS_MIGRATE_BUSY)
		INC(tp_zs_page_migrate_busy);
	return 0;
}
SEC("raw_tp/zs_page_putback")
int BPF_PROG(tp_zs_putback) { INC(tp_zs_page_putback); return 0; }
SEC("raw_tp/zs_compact_begin")
int BPF_PROG(tp_zs_compact_begin) { INC(tp_zs_compact_begin); return 0; }
SEC("raw_tp/zs_compact_end")
int BPF_PROG(tp_zs_compact_end, const char *pool, unsigned int class_size,
	     unsigned long nr_objs_migrated, unsigned long nr_pages_freed)
{
	INC(tp_zs_compact_end);
	ADD(tp_zs_compact_pages_freed, nr_pages_freed);
	return 0;
}
SEC("raw_tp/zs_compact_class")
int BPF_PROG(tp_zs_compact_class, const char *pool, unsigned int class_size,
	     unsigned long nr_objs_migrated, unsigned long nr_pages_freed)
{
	INC(tp_zs_compact_class);
	ADD(tp_zs_compact_class_pages_freed, nr_pages_freed);
	return 0;
}

SEC("fentry/zs_page_isolate")
int BPF_PROG(fn_zs_isolate) { INC(fn_zs_page_isolate); return 0; }
SEC("fexit/zs_page_migrate")
int BPF_PROG(fx_zs_migrate, struct page *newpage, struct page *page, int mode, int ret)
{
	INC(fx_zs_page_migrate);
	if (ret == 0)
		INC(fx_zs_page_migrate_ok);
	else if (ret == -EBUSY)
		INC(fx_zs_page_migrate_busy);
	return 0;
}
SEC("fentry/zs_page_putback")
int BPF_PROG(fn_zs_putback) { INC(fn_zs_page_putback); return 0; }
SEC("fexit/zs_compact")
int BPF_PROG(fx_zs_compact, struct zs_pool *pool, unsigned long ret)
{
	ADD(fx_zs_compact_pages_freed, ret);
	return 0;
}

/* balloon */
SEC("raw_tp/balloon_batch_begin")
int BPF_PROG(tp_bl_batch_begin, int dir, unsigned int requested_pfns)
{
	INC(tp_balloon_batch_begin);
	if (dir == BALLOON_DIR_DEFLATE)
		INC(tp_balloon_deflate_batches);
	return 0;
}
SEC("raw_tp/balloon_batch_end")
int BPF_PROG(tp_bl_batch_end, int dir, unsigned int requested_pfns,
	     unsigned int done_pfns)
{
	INC(tp_balloon_batch_end);
	if (dir == BALLOON_DIR_INFLATE)
		ADD(tp_balloon_inflated_pfns, done_pfns);
	else
		ADD(tp_balloon_deflated_pfns, done_pfns);
	return 0;
}
SEC("raw_tp/balloon_page_alloc_fail")
int BPF_PROG(tp_bl_alloc_fail) { INC(tp_balloon_page_alloc_fail); return 0; }
SEC("raw_tp/balloon_tell_host_begin")
int BPF_PROG(tp_bl_tell_begin) { INC(tp_balloon_tell_host_begin); return 0; }
SEC("raw_tp/balloon_tell_host_end")
int BPF_PROG(tp_bl_tell_end) { INC(tp_balloon_tell_host_end); return 0; }
SEC("raw_tp/balloon_page_migrate")
int BPF_PROG(tp_bl_migrate, unsigned long pfn, unsigned long newpfn, int result)
{
	INC(tp_balloon_page_migrate);
	if (result == 0)
		INC(tp_balloon_page_migrate_ok);
	return 0;
}

SEC("fentry/tell_host")
int BPF_PROG(fn_tell_host) { INC(fn_tell_host); return 0; }
SEC("fentry/leak_balloon")
int BPF_PROG(fn_leak_balloon) { INC(fn_leak_balloon); return 0; }

char LICENSE[] SEC("license") = "GPL";
