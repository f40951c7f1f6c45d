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
#include <bpf/bpf_core_read.h>
#include "pagemove/tpcheck.h"

#define EBUSY 16

/*
 * From the series' trace headers (include/trace/events/zsmalloc.h,
 * drivers/virtio/virtio_balloon_trace.h): enum values and event
 * arguments, in the order the TP_PROTOs give them.
 */
#define ZS_MIGRATE_SUCCESS	0
#define ZS_MIGRATE_BUSY		1

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

/*
 * zsmalloc.  The series' events take the objects the functions hold
 * (pages, pool, class); what they report is compared with what the
 * functions themselves return, read at fentry/fexit.
 */
#define ZS_MIGRATE_FREED	2

SEC("raw_tp/zs_migrate_isolate")
int BPF_PROG(tp_zs_isolate, struct page *page, bool isolated)
{
	INC(tp_zs_migrate_isolate);
	if (isolated)
		INC(tp_zs_migrate_isolate_ok);
	return 0;
}
SEC("raw_tp/zs_migrate_begin")
int BPF_PROG(tp_zs_migrate_begin) { INC(tp_zs_migrate_begin); return 0; }
SEC("raw_tp/zs_migrate_end")
int BPF_PROG(tp_zs_migrate_end, struct zs_pool *pool, struct size_class *class,
	     struct page *page, struct page *newpage, unsigned int nr_objs, int result)
{
	INC(tp_zs_migrate_end);
	ADD(tp_zs_migrate_objs, nr_objs);
	if (result == ZS_MIGRATE_SUCCESS)
		INC(tp_zs_migrate_success);
	else if (result == ZS_MIGRATE_BUSY)
		INC(tp_zs_migrate_busy);
	else if (result == ZS_MIGRATE_FREED)
		INC(tp_zs_migrate_freed);
	/* A pool is named unless the zspage is gone, and only then. */
	if (!pool != (result == ZS_MIGRATE_FREED))
		INC(tp_zs_migrate_pool_wrong);
	return 0;
}
SEC("raw_tp/zs_migrate_putback")
int BPF_PROG(tp_zs_putback) { INC(tp_zs_migrate_putback); return 0; }
SEC("raw_tp/zs_compact_class")
int BPF_PROG(tp_zs_compact_class, struct zs_pool *pool, struct size_class *class,
	     unsigned long nr_objs_migrated, unsigned long nr_pages_freed)
{
	INC(tp_zs_compact_class);
	ADD(tp_zs_compact_class_objs, nr_objs_migrated);
	ADD(tp_zs_compact_class_pages_freed, nr_pages_freed);
	return 0;
}
SEC("raw_tp/zs_shrink")
int BPF_PROG(tp_zs_shrinker, struct zs_pool *pool, struct shrink_control *sc,
	     unsigned long nr_pages_freed)
{
	INC(tp_zs_shrink);
	ADD(tp_zs_shrink_pages_freed, nr_pages_freed);
	return 0;
}

SEC("fexit/zs_page_isolate")
int BPF_PROG(fx_zs_isolate, struct page *page, int mode, bool ret)
{
	INC(fx_zs_page_isolate);
	if (ret)
		INC(fx_zs_page_isolate_ok);
	return 0;
}
/* page->private is the zspage; none: zs_page_migrate() takes the freed path. */
SEC("fentry/zs_page_migrate")
int BPF_PROG(fn_zs_migrate, struct page *newpage, struct page *page)
{
	if (!BPF_CORE_READ(page, private))
		INC(fn_zs_page_migrate_no_zspage);
	return 0;
}
/*
 * Objects a successful migration moved, counted on the new page as
 * zs_page_migrate() found them on the old one: the slots that start in
 * the page (from its first_obj_offset, one class size apart) whose
 * header has OBJ_ALLOCATED_TAG; a huge zspage's one object is tagged in
 * its first page's handle.  The page's memory is read through the
 * direct map (x86_64: page_offset_base, vmemmap_base).
 */
extern const void vmemmap_base __ksym;
extern const void page_offset_base __ksym;
#define OBJ_ALLOCATED_TAG	1UL
#define ZS_PAGE_SIZE		4096U

static unsigned int zs_page_objs(struct page *page)
{
	struct zpdesc *zp = (struct zpdesc *)page;
	struct zspage *zspage = BPF_CORE_READ(zp, zspage);
	unsigned long vmemmap = 0, pob = 0, addr, hdr;
	unsigned int cls, size, off, n = 0, i;
	struct size_class *class = NULL;
	struct zs_pool *pool;

	if (!zspage)
		return 0;
	pool = BPF_CORE_READ(zspage, pool);
	cls = BPF_CORE_READ_BITFIELD_PROBED(zspage, class);
	if (cls >= bpf_core_field_size(pool->size_class) / sizeof(void *))
		return 0;
	bpf_core_read(&class, sizeof(class), &pool->size_class[cls]);
	size = BPF_CORE_READ(class, size);
	if (BPF_CORE_READ_BITFIELD_PROBED(zspage, huge))
		return BPF_CORE_READ(zp, handle) & OBJ_ALLOCATED_TAG;
	if (size < 16)
		return 0;
	bpf_probe_read_kernel(&vmemmap, sizeof(vmemmap), &vmemmap_base);
	bpf_probe_read_kernel(&pob, sizeof(pob), &page_offset_base);
	/* The pointer as a number: the verifier refuses arithmetic on it. */
	bpf_probe_read_kernel(&addr, sizeof(addr), &page);
	addr = pob + (addr - vmemmap) / bpf_core_type_size(struct page) * ZS_PAGE_SIZE;
	off = BPF_CORE_READ(zp, first_obj_offset) & 0xffffff;
	for (i = 0; i < ZS_PAGE_SIZE / 16; i++) {
		if (off >= ZS_PAGE_SIZE)
			break;
		hdr = 0;
		bpf_probe_read_kernel(&hdr, sizeof(hdr), (void *)(addr + off));
		if (hdr & OBJ_ALLOCATED_TAG)
			n++;
		off += size;
	}
	return n;
}

SEC("fexit/zs_page_migrate")
int BPF_PROG(fx_zs_migrate, struct page *newpage, struct page *page, int mode, int ret)
{
	INC(fx_zs_page_migrate);
	if (ret == 0) {
		INC(fx_zs_page_migrate_ok);
		ADD(fx_zs_page_migrate_objs, zs_page_objs(newpage));
	} else if (ret == -EBUSY) {
		INC(fx_zs_page_migrate_busy);
	}
	return 0;
}
SEC("fentry/zs_page_putback")
int BPF_PROG(fn_zs_putback) { INC(fn_zs_page_putback); return 0; }
/*
 * Compaction runs through zs_compact() (zram's compact file) or
 * zs_shrinker_scan(), into which the compiler may inline zs_compact(): a
 * task inside either is compacting.  Its pages freed are counted once,
 * from zs_shrinker_scan()'s return when the shrinker started it, from
 * zs_compact()'s otherwise; its objects migrated are its obj_malloc()
 * calls (migrate_zspage() allocates each object in the destination
 * zspage; nothing else there allocates).
 */
#define IN_COMPACT	1
#define IN_SHRINKER	2
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u8);
} compacting SEC(".maps");

static void compacting_set(u8 bit)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u8 *v = bpf_map_lookup_elem(&compacting, &tid), nv = bit;

	if (v)
		nv |= *v;
	bpf_map_update_elem(&compacting, &tid, &nv, BPF_ANY);
}
/* Clears @bit; returns the bits that were set before. */
static u8 compacting_clear(u8 bit)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u8 *v = bpf_map_lookup_elem(&compacting, &tid), old, nv;

	if (!v)
		return 0;
	old = *v;
	nv = old & ~bit;
	if (nv)
		bpf_map_update_elem(&compacting, &tid, &nv, BPF_ANY);
	else
		bpf_map_delete_elem(&compacting, &tid);
	return old;
}

SEC("fentry/zs_compact")
int BPF_PROG(fn_zs_compact) { compacting_set(IN_COMPACT); return 0; }
SEC("fentry/zs_shrinker_scan")
int BPF_PROG(fn_zs_shrinker) { compacting_set(IN_SHRINKER); return 0; }
SEC("fentry/obj_malloc")
int BPF_PROG(fn_obj_malloc)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (bpf_map_lookup_elem(&compacting, &tid))
		INC(fn_obj_malloc_compacting);
	return 0;
}
SEC("fexit/zs_compact")
int BPF_PROG(fx_zs_compact, struct zs_pool *pool, unsigned long ret)
{
	INC(fx_zs_compact);
	if (!(compacting_clear(IN_COMPACT) & IN_SHRINKER))
		ADD(fx_zs_compact_pages_freed, ret);
	return 0;
}
#define SHRINK_STOP (~0UL)	/* include/linux/shrinker.h */
SEC("fexit/zs_shrinker_scan")
int BPF_PROG(fx_zs_shrinker, struct shrinker *shrinker, struct shrink_control *sc,
	     unsigned long ret)
{
	compacting_clear(IN_SHRINKER);
	INC(fx_zs_shrinker_scan);
	if (ret != SHRINK_STOP) {
		ADD(fx_zs_shrinker_pages_freed, ret);
		ADD(fx_zs_compact_pages_freed, ret);
	}
	return 0;
}

/* balloon: the generic migration event (mm/balloon.c) */
SEC("raw_tp/balloon_migrate")
int BPF_PROG(tp_bl_migrate, struct page *page, struct page *newpage, int result)
{
	INC(tp_balloon_migrate);
	if (result == 0)
		INC(tp_balloon_migrate_ok);
	return 0;
}

/* virtio_balloon: the driver's own events */
#define VB_OP_INFLATE	0
#define VB_OP_DEFLATE	1
#define VB_OP_MIGRATE	2
#define VB_VQ_INFLATE	0	/* enum virtio_balloon_vq */
#define VB_VQ_DEFLATE	1

SEC("raw_tp/virtio_balloon_batch_begin")
int BPF_PROG(tp_vb_batch_begin, struct virtio_balloon *vb, int op,
	     unsigned int requested, unsigned int done)
{
	if (op == VB_OP_INFLATE)
		INC(tp_vb_begin_inflate);
	else if (op == VB_OP_DEFLATE)
		INC(tp_vb_begin_deflate);
	else if (op == VB_OP_MIGRATE)
		INC(tp_vb_begin_migrate);
	return 0;
}
SEC("raw_tp/virtio_balloon_batch_end")
int BPF_PROG(tp_vb_batch_end, struct virtio_balloon *vb, int op,
	     unsigned int requested, unsigned int done)
{
	if (op == VB_OP_INFLATE) {
		INC(tp_vb_end_inflate);
		ADD(tp_vb_done_inflate, done);
		if (done)
			INC(tp_vb_end_inflate_some);
	} else if (op == VB_OP_DEFLATE) {
		INC(tp_vb_end_deflate);
		ADD(tp_vb_done_deflate, done);
		if (done)
			INC(tp_vb_end_deflate_some);
	} else if (op == VB_OP_MIGRATE) {
		INC(tp_vb_end_migrate);
		ADD(tp_vb_done_migrate, done);
	}
	return 0;
}
SEC("raw_tp/virtio_balloon_alloc_fail")
int BPF_PROG(tp_vb_alloc_fail) { INC(tp_vb_alloc_fail); return 0; }
/*
 * One event per buffer (at most 256 pfns, the limit Firecracker and
 * cloud-hypervisor enforce); the driver queues up to 16 before one kick.
 */
#define VB_PFNS_PER_DESC	256
SEC("raw_tp/virtio_balloon_tell_host_begin")
int BPF_PROG(tp_vb_tell_begin, struct virtio_balloon *vb, struct virtqueue *vq,
	     const __u32 *pfns, unsigned int nr_pfns)
{
	unsigned int idx = BPF_CORE_READ(vq, index);

	if (idx == VB_VQ_INFLATE)
		INC(tp_vb_tell_begin_ivq);
	else if (idx == VB_VQ_DEFLATE)
		INC(tp_vb_tell_begin_dvq);
	if (nr_pfns > VB_PFNS_PER_DESC)
		INC(tp_vb_tell_over256);
	return 0;
}
SEC("raw_tp/virtio_balloon_tell_host_end")
int BPF_PROG(tp_vb_tell_end, struct virtio_balloon *vb, struct virtqueue *vq,
	     int err, unsigned int len, const __u32 *pfns, unsigned int n)
{
	unsigned int idx = BPF_CORE_READ(vq, index);

	INC(tp_vb_tell_end);
	if (err) {
		INC(tp_vb_tell_err);
		return 0;
	}
	if (idx == VB_VQ_INFLATE)
		ADD(tp_vb_tell_pfns_ivq, n);
	else if (idx == VB_VQ_DEFLATE)
		ADD(tp_vb_tell_pfns_dvq, n);
	return 0;
}
SEC("raw_tp/virtio_balloon_target")
int BPF_PROG(tp_vb_target) { INC(tp_vb_target); return 0; }

SEC("fentry/tell_host")
int BPF_PROG(fn_tell_host, struct virtio_balloon *vb, struct virtqueue *vq)
{
	unsigned int idx = BPF_CORE_READ(vq, index);

	if (idx == VB_VQ_INFLATE)
		INC(fn_tell_host_ivq);
	else if (idx == VB_VQ_DEFLATE)
		INC(fn_tell_host_dvq);
	return 0;
}
SEC("fexit/tell_host")
int BPF_PROG(fx_tell_host) { INC(fx_tell_host); return 0; }
SEC("fexit/leak_balloon")
int BPF_PROG(fx_leak_balloon, struct virtio_balloon *vb, size_t num, unsigned int ret)
{
	INC(fx_leak_balloon);
	ADD(fx_leak_balloon_pfns, ret);
	return 0;
}
SEC("fexit/virtballoon_migratepage")
int BPF_PROG(fx_vb_migratepage, struct balloon_dev_info *info, struct page *newpage,
	     struct page *page, int mode, int ret)
{
	if (ret == 0)
		INC(fx_vb_migratepage_ok);
	return 0;
}
SEC("fentry/balloon_page_enqueue")
int BPF_PROG(fn_balloon_enqueue) { INC(fn_balloon_page_enqueue); return 0; }
SEC("fexit/balloon_page_list_enqueue")
int BPF_PROG(fx_balloon_list_enqueue, struct balloon_dev_info *info,
	     struct list_head *pages, size_t ret)
{
	ADD(fx_balloon_page_list_enqueue, ret);
	return 0;
}
/* A copy of one balloon buffer's pfns (the driver's own array), per CPU. */
struct vb_buf {
	__u32 pfn[VB_PFNS_PER_DESC];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vb_buf);
} vb_buf SEC(".maps");
/* Per queue: the last pfn of the buffer before, in this kick's round; 0 at a kick. */
__u32 vb_last[2];

/*
 * The balloon's buffers as the virtio core sees them, independent of the
 * driver's events: each one added to the inflate or deflate queue, and
 * its length; each one the host used (virtqueue_get_buf() returning it).
 * The pfns of each buffer are read from @data, the token, which the
 * series' bulk driver (7/7) makes the buffer itself (the stock driver and
 * the tracepoint patches alone pass vb: there these counts mean nothing,
 * and only the patched kernel's are checked): buffers whose pfns do not
 * strictly ascend, or whose first pfn is not above the last of the buffer
 * before them in the same round (buffers added between two kicks), and
 * the runs of contiguous pfns, which a coalescing host turns into one call
 * each.
 */
SEC("fentry/virtqueue_add_outbuf")
int BPF_PROG(fn_vq_add_outbuf, struct virtqueue *vq, struct scatterlist *sg,
	     unsigned int num, void *data)
{
	unsigned int idx = BPF_CORE_READ(vq, index);
	const char *name = BPF_CORE_READ(vq, name);
	unsigned int len, i, runs = 1;
	bool sorted = true;
	struct vb_buf *b;
	__u32 zero = 0;
	char n[8] = {};

	/* Only the balloon's queues: their names are the driver's. */
	bpf_probe_read_kernel_str(n, sizeof(n), name);
	if (idx == VB_VQ_INFLATE && !__builtin_memcmp(n, "inflate", 8))
		INC(fn_vb_add_outbuf_ivq);
	else if (idx == VB_VQ_DEFLATE && !__builtin_memcmp(n, "deflate", 8))
		INC(fn_vb_add_outbuf_dvq);
	else
		return 0;
	len = BPF_CORE_READ(sg, length) / 4;
	if (len > VB_PFNS_PER_DESC) {
		INC(fn_vb_add_outbuf_over256);
		return 0;
	}
	/*
	 * A whole buffer's worth, whatever @len: the array holds a round of
	 * buffers of 256 pfns, so this stays inside it (and a probe read
	 * cannot fault anyway); the verifier takes a constant size.
	 */
	b = bpf_map_lookup_elem(&vb_buf, &zero);
	if (!b || !len || bpf_probe_read_kernel(b->pfn, sizeof(b->pfn), data))
		return 0;
	/* A round's buffers ascend too: one sorted array cut in buffers. */
	if (vb_last[idx & 1] && b->pfn[0] <= vb_last[idx & 1])
		sorted = false;
	vb_last[idx & 1] = b->pfn[(len - 1) & (VB_PFNS_PER_DESC - 1)];
	for (i = 1; i < VB_PFNS_PER_DESC && i < len; i++) {
		if (b->pfn[i] <= b->pfn[i - 1])
			sorted = false;
		if (b->pfn[i] != b->pfn[i - 1] + 1)
			runs++;
	}
	if (!sorted)
		INC(fn_vb_add_outbuf_unsorted);
	ADD(fn_vb_add_outbuf_runs, runs);
	ADD(fn_vb_add_outbuf_pfns, len);
	return 0;
}
SEC("fentry/virtqueue_kick")
int BPF_PROG(fn_vq_kick, struct virtqueue *vq)
{
	unsigned int idx = BPF_CORE_READ(vq, index);
	const char *name = BPF_CORE_READ(vq, name);
	char n[8] = {};

	bpf_probe_read_kernel_str(n, sizeof(n), name);
	if ((idx == VB_VQ_INFLATE && !__builtin_memcmp(n, "inflate", 8)) ||
	    (idx == VB_VQ_DEFLATE && !__builtin_memcmp(n, "deflate", 8)))
		vb_last[idx & 1] = 0;
	return 0;
}
SEC("fexit/virtqueue_get_buf")
int BPF_PROG(fx_vq_get_buf, struct virtqueue *vq, unsigned int *len, void *ret)
{
	unsigned int idx = BPF_CORE_READ(vq, index);
	const char *name = BPF_CORE_READ(vq, name);
	char n[8] = {};

	if (!ret || idx > VB_VQ_DEFLATE)
		return 0;
	bpf_probe_read_kernel_str(n, sizeof(n), name);
	if (!__builtin_memcmp(n, "inflate", 8) || !__builtin_memcmp(n, "deflate", 8))
		INC(fx_vb_get_buf);
	return 0;
}
SEC("fexit/balloon_page_alloc")
int BPF_PROG(fx_balloon_alloc, struct page *ret)
{
	if (!ret)
		INC(fx_balloon_page_alloc_null);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
