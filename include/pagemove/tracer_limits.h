/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by bpf/tracer.bpf.h and tools/tracer.c: the framework's limits. */
#ifndef PAGEMOVE_TRACER_LIMITS_H
#define PAGEMOVE_TRACER_LIMITS_H

/* Processes one run can follow (-p PID -f, -- CMD and their children). */
#define PM_MAX_TGIDS	8192

#endif /* PAGEMOVE_TRACER_LIMITS_H */
