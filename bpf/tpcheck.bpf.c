// SPDX-License-Identifier: GPL-2.0
/*
 * tpcheck.bpf.c - count what the pagemove series' tracepoints report and,
 * independently, the calls and results of the functions they sit in
 * (fentry/fexit), so that a test can check one against the other.
 * Loads only on a kernel with the series (raw_tp attach by event name).
 */
#include "vmlinux.h"
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
SEC("raw_tp/migrate_vma_setup_begin")
int BPF_PROG(tp_setup_begin) { INC(tp_migrate_vma_setup_begin); return 0; }
SEC("raw_tp/migrate_vma_collect")
int BPF_PROG(tp_collect) { INC(tp_migrate_vma_collect); return 0; }
SEC("raw_tp/migrate_device_unmap")
int BPF_PROG(tp_unmap) { INC(tp_migrate_device_unmap); return 0; }
SEC("raw_tp/migrate_device_pages_begin")
int BPF_PROG(tp_pages_begin) { INC(tp_migrate_device_pages_begin); return 0; }
SEC("raw_tp/migrate_device_pages_end")
int BPF_PROG(tp_pages_end) { INC(tp_migrate_device_pages_end); return 0; }
SEC("raw_tp/migrate_device_finalize_begin")
int BPF_PROG(tp_finalize_begin) { INC(tp_migrate_device_finalize_begin); return 0; }
SEC("raw_tp/migrate_device_finalize_end")
int BPF_PROG(tp_finalize_end) { INC(tp_migrate_device_finalize_end); return 0; }
SEC("raw_tp/migrate_vma_collect_hole")
int BPF_PROG(tp_collect_hole) { INC(tp_migrate_vma_collect_hole); return 0; }
SEC("raw_tp/migrate_vma_collect_skip")
int BPF_PROG(tp_collect_skip) { INC(tp_migrate_vma_collect_skip); return 0; }
SEC("raw_tp/migrate_device_unmap_fail")
int BPF_PROG(tp_unmap_fail) { INC(tp_migrate_device_unmap_fail); return 0; }
SEC("raw_tp/migrate_device_pages_fail")
int BPF_PROG(tp_pages_fail) { INC(tp_migrate_device_pages_fail); return 0; }

SEC("fexit/migrate_vma_setup")
int BPF_PROG(fx_setup, struct migrate_vma *args, int ret)
{
	if (ret == 0)
		INC(fx_migrate_vma_setup_ok);
	return 0;
}
SEC("fentry/migrate_vma_pages")
int BPF_PROG(fn_vma_pages) { INC(fn_migrate_pages); return 0; }
SEC("fentry/migrate_device_pages")
int BPF_PROG(fn_device_pages) { INC(fn_migrate_pages); return 0; }
SEC("fentry/migrate_vma_finalize")
int BPF_PROG(fn_vma_finalize) { INC(fn_migrate_finalize); return 0; }
SEC("fentry/migrate_device_finalize")
int BPF_PROG(fn_device_finalize) { INC(fn_migrate_finalize); return 0; }

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
