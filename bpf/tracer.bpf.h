/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracer.bpf.h - the BPF side of the pagemove tracer framework
 * (tools/tracer.c), included once by every tracer's .bpf.c:
 *
 *   pm_traced()  whether the current task belongs to what the user asked
 *                for (-p PID, -p PID -f, -- CMD): one hash lookup of its
 *                tgid, or nothing at all when tracing the whole system;
 *   pm_fork      adds a traced process's children (-f, -- CMD);
 *   pm_exit      removes a traced process once its last thread exits, so
 *                a recycled pid is not traced.
 *
 * Programs and maps named pm_* belong to the framework: it enables pm_fork
 * and pm_exit as needed and fills pm_tgids; every other program is the
 * tracer's and is enabled by hook mode (its SEC() prefix).
 */
#ifndef PAGEMOVE_TRACER_BPF_H
#define PAGEMOVE_TRACER_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pagemove/tracer_limits.h"

#define PM_E2BIG	7	/* errno.h: not in vmlinux.h */

/* Set by the framework before load: 0 = whole system, 1 = pm_tgids only. */
const volatile __u32 pm_filter;
/* Set by the framework: 1 when an event log is written (-w), so that a
 * tracer fills its ring buffer only when someone reads it. */
const volatile __u32 pm_events;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PM_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} pm_tgids SEC(".maps");

/* Processes not followed because pm_tgids was full: the framework warns. */
__u64 pm_tgids_full;

static __always_inline bool pm_traced(void)
{
	__u32 tgid;

	if (!pm_filter)
		return true;
	tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&pm_tgids, &tgid) != NULL;
}

/* Before the child can run (kernel_clone() wakes it up afterwards). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(pm_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&pm_tgids, &ptgid))
		return 0;	/* a new thread, or not ours */
	if (bpf_map_update_elem(&pm_tgids, &ctgid, &one, BPF_NOEXIST) == -PM_E2BIG)
		__sync_fetch_and_add(&pm_tgids_full, 1);
	return 0;
}

/*
 * do_exit() drops signal->live before this event: 0 means the thread
 * group is dead (the event's group_dead argument, read in a way that also
 * works on kernels whose event lacks it).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pm_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!BPF_CORE_READ(p, signal, live.counter))
		bpf_map_delete_elem(&pm_tgids, &tgid);
	return 0;
}

#endif /* PAGEMOVE_TRACER_BPF_H */
