// SPDX-License-Identifier: GPL-2.0
/*
 * smoke.bpf.c - the least a pagemove VM must do for BPF: one fentry program
 * on a zsmalloc function and one tracepoint program, each counting events.
 * Used by tests/vm/smoke.sh through tools/bpfsmoke.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid;

__u64 zs_malloc_calls;
__u64 getppid_calls;

SEC("fentry/zs_malloc")
int BPF_PROG(smoke_zs_malloc, struct zs_pool *pool, size_t size)
{
	__sync_fetch_and_add(&zs_malloc_calls, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int smoke_getppid(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&getppid_calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
