/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters shared by bpf/tpcheck.bpf.c and tools/tpcheck.c: what the
 * series' tracepoints report (tp_*) next to independent counts of the
 * same work from fentry/fexit on the functions that do it (fn_*, fx_*).
 * One X() per counter; both sides expand the same list.
 */
#ifndef PAGEMOVE_TPCHECK_H
#define PAGEMOVE_TPCHECK_H

#define TPCHECK_COUNTERS				\
	/* migrate_device tracepoints: events */		\
	X(tp_migrate_vma_setup_begin)			\
	X(tp_migrate_vma_collect_end)			\
	X(tp_migrate_device_range_begin)		\
	X(tp_migrate_device_pfns_begin)			\
	X(tp_migrate_device_unmap_begin)		\
	X(tp_migrate_device_unmap_end)			\
	X(tp_migrate_vma_pages_begin)			\
	X(tp_migrate_device_pages_begin)		\
	X(tp_migrate_device_pages_end)			\
	X(tp_migrate_vma_finalize_begin)		\
	X(tp_migrate_device_finalize_begin)		\
	X(tp_migrate_device_finalize_end)		\
	X(tp_migrate_vma_hole)				\
	X(tp_migrate_vma_collect_fail)			\
	X(tp_migrate_device_lock_fail)			\
	X(tp_migrate_device_unmap_fail)			\
	X(tp_migrate_device_pages_fail)			\
	/* ... their page counts */			\
	X(tp_md_setup_npages)				\
	X(tp_md_pfn_npages)				\
	X(tp_md_pages_end_pages)			\
	X(tp_md_finalize_end_pages)			\
	X(tp_md_fail_pages)				\
	X(tp_md_fail_pages_vma)				\
	X(tp_md_fail_pages_pfn)				\
	X(tp_md_fail_mm_current)			\
	X(tp_md_fail_mm_other)				\
	X(tp_md_unknown_reason)				\
	/* ... and the functions they sit in */		\
	X(fx_migrate_vma_setup_ok)			\
	X(fn_migrate_device_range)			\
	X(fn_migrate_device_pfns)			\
	X(fn_migrate_device_unmap)			\
	X(fx_migrate_device_unmap)			\
	X(fn_migrate_vma_pages)				\
	X(fn_migrate_device_pages)			\
	X(fx_migrate_pages)				\
	X(fn_migrate_vma_finalize)			\
	X(fn_migrate_device_finalize)			\
	X(fx_migrate_finalize)				\
	/* ... and what the src/dst arrays say at fexit */	\
	X(fx_pages_walk_pages)				\
	X(fx_finalize_walk_pages)			\
	X(fx_pfn_npages)				\
	X(fx_pfn_marked_pages)				\
	X(fx_walk_truncated)				\
	/* zsmalloc tracepoints */			\
	X(tp_zs_migrate_isolate)			\
	X(tp_zs_migrate_isolate_ok)			\
	X(tp_zs_migrate_begin)				\
	X(tp_zs_migrate_end)				\
	X(tp_zs_migrate_success)			\
	X(tp_zs_migrate_busy)				\
	X(tp_zs_migrate_freed)				\
	X(tp_zs_migrate_objs)				\
	X(tp_zs_migrate_pool_wrong)			\
	X(tp_zs_migrate_putback)			\
	X(tp_zs_compact_class)				\
	X(tp_zs_compact_class_objs)			\
	X(tp_zs_compact_class_pages_freed)		\
	X(tp_zs_shrink)					\
	X(tp_zs_shrink_pages_freed)			\
	/* ... and the functions they sit in */		\
	X(fx_zs_page_isolate)				\
	X(fx_zs_page_isolate_ok)			\
	X(fn_zs_page_migrate_no_zspage)			\
	X(fx_zs_page_migrate)				\
	X(fx_zs_page_migrate_ok)			\
	X(fx_zs_page_migrate_busy)			\
	X(fx_zs_page_migrate_objs)			\
	X(fn_zs_page_putback)				\
	X(fx_zs_compact)				\
	X(fx_zs_compact_pages_freed)			\
	X(fn_obj_malloc_compacting)			\
	X(fx_zs_shrinker_scan)				\
	X(fx_zs_shrinker_pages_freed)			\
	/* balloon (mm/balloon.c) tracepoint */		\
	X(tp_balloon_migrate)				\
	X(tp_balloon_migrate_ok)			\
	/* virtio_balloon tracepoints */		\
	X(tp_vb_begin_inflate)				\
	X(tp_vb_begin_deflate)				\
	X(tp_vb_begin_migrate)				\
	X(tp_vb_end_inflate)				\
	X(tp_vb_end_deflate)				\
	X(tp_vb_end_migrate)				\
	X(tp_vb_end_inflate_some)			\
	X(tp_vb_end_deflate_some)			\
	X(tp_vb_done_inflate)				\
	X(tp_vb_done_deflate)				\
	X(tp_vb_done_migrate)				\
	X(tp_vb_alloc_fail)				\
	X(tp_vb_tell_begin_ivq)				\
	X(tp_vb_tell_begin_dvq)				\
	X(tp_vb_tell_end)				\
	X(tp_vb_tell_err)				\
	X(tp_vb_tell_pfns_ivq)				\
	X(tp_vb_tell_pfns_dvq)				\
	X(tp_vb_tell_over256)				\
	X(tp_vb_target)					\
	/* ... and the functions they sit in */		\
	X(fn_tell_host_ivq)				\
	X(fn_tell_host_dvq)				\
	X(fx_tell_host)					\
	X(fx_leak_balloon)				\
	X(fx_leak_balloon_pfns)				\
	X(fx_vb_migratepage_ok)				\
	X(fn_balloon_page_enqueue)			\
	X(fx_balloon_page_list_enqueue)			\
	X(fx_balloon_page_alloc_null)			\
	X(fn_vb_add_outbuf_ivq)				\
	X(fn_vb_add_outbuf_dvq)				\
	X(fn_vb_add_outbuf_over256)			\
	X(fn_vb_add_outbuf_unsorted)			\
	X(fn_vb_add_outbuf_runs)			\
	X(fn_vb_add_outbuf_pfns)			\
	X(fx_vb_get_buf)

/*
 * enum migrate_device_reason of include/trace/events/migrate_device.h, in
 * its order (tests/vm/events.sh checks it against the event's format).
 * tpcheck prints the pages of each as tp_md_reason_NAME.
 */
#define TPCHECK_MD_REASONS						\
	R(hole) R(zero_page) R(not_anon) R(not_present) R(not_selected)	\
	R(owner) R(no_page) R(locked) R(pinned) R(split_failed) R(free)	\
	R(truncated) R(isolate_failed) R(unmap_failed) R(extra_refs)	\
	R(no_dst_hole) R(no_dst_page) R(swapcache) R(unsupported)	\
	R(mapping_failed) R(insert_failed)

enum tpcheck_md_reason {
#define R(name) TPCHECK_MD_##name,
	TPCHECK_MD_REASONS
#undef R
	TPCHECK_MD_NR_REASONS
};

struct tpcheck_counts {
#define X(name) unsigned long long name;
	TPCHECK_COUNTERS
#undef X
	unsigned long long md_reason_pages[TPCHECK_MD_NR_REASONS];
};

#endif /* PAGEMOVE_TPCHECK_H */
