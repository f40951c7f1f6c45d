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
	/* migrate_device tracepoints */		\
	X(tp_migrate_vma_setup_begin)			\
	X(tp_migrate_vma_collect)			\
	X(tp_migrate_device_unmap)			\
	X(tp_migrate_device_pages_begin)		\
	X(tp_migrate_device_pages_end)			\
	X(tp_migrate_device_finalize_begin)		\
	X(tp_migrate_device_finalize_end)		\
	X(tp_migrate_vma_collect_hole)			\
	X(tp_migrate_vma_collect_skip)			\
	X(tp_migrate_device_unmap_fail)			\
	X(tp_migrate_device_pages_fail)			\
	/* ... and the functions they sit in */		\
	X(fx_migrate_vma_setup_ok)			\
	X(fn_migrate_pages)				\
	X(fn_migrate_finalize)				\
	/* zsmalloc tracepoints */			\
	X(tp_zs_page_isolate)				\
	X(tp_zs_page_isolate_ok)			\
	X(tp_zs_page_migrate_begin)			\
	X(tp_zs_page_migrate_end)			\
	X(tp_zs_page_migrate_success)			\
	X(tp_zs_page_migrate_busy)			\
	X(tp_zs_page_migrate_freed)			\
	X(tp_zs_page_migrate_objs)			\
	X(tp_zs_page_migrate_pool_wrong)		\
	X(tp_zs_page_putback)				\
	X(tp_zs_compact_class)				\
	X(tp_zs_compact_class_objs)			\
	X(tp_zs_compact_class_pages_freed)		\
	X(tp_zs_shrinker_scan)				\
	X(tp_zs_shrinker_pages_freed)			\
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
	X(tp_balloon_page_migrate)			\
	X(tp_balloon_page_migrate_ok)			\
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
	X(tp_vb_target)					\
	/* ... and the functions they sit in */		\
	X(fn_tell_host_ivq)				\
	X(fn_tell_host_dvq)				\
	X(fx_tell_host)					\
	X(fx_leak_balloon)				\
	X(fx_leak_balloon_pfns)				\
	X(fx_vb_migratepage_ok)				\
	X(fn_balloon_page_enqueue)			\
	X(fx_balloon_page_alloc_null)

struct tpcheck_counts {
#define X(name) unsigned long long name;
	TPCHECK_COUNTERS
#undef X
};

#endif /* PAGEMOVE_TPCHECK_H */
