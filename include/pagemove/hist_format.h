/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one histogram of pagemove, shared by the BPF programs (which fill
 * it) and userspace (which merges it and reads percentiles): log-linear
 * buckets.  Values below PM_HIST_SUB get a slot each; above, every power of
 * two [2^e, 2^(e+1)) is split into PM_HIST_SUB equal slots, so a slot's
 * width is at most 1/PM_HIST_SUB of its lower bound (12.5% with 8), over
 * the whole u64 range in PM_HIST_SLOTS slots.
 *
 * Plain C types only: this header is compiled by clang -target bpf (with
 * vmlinux.h) and by the userspace compiler.
 */
#ifndef PAGEMOVE_HIST_FORMAT_H
#define PAGEMOVE_HIST_FORMAT_H

#define PM_HIST_SUB_BITS	3
#define PM_HIST_SUB		(1U << PM_HIST_SUB_BITS)
#define PM_HIST_SLOTS		((64 - PM_HIST_SUB_BITS + 1) * PM_HIST_SUB)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

struct pm_hist {
	unsigned long long count;
	unsigned long long sum;
	unsigned long long max;
	unsigned long long slots[PM_HIST_SLOTS];
};

/*
 * floor(log2(v)) for v > 0, without loops or branches: what BPF uses (it
 * has no count-leading-zeros instruction and its verifier likes that).
 */
static __always_inline unsigned int pm_log2_shifts(unsigned long long v)
{
	unsigned int r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffffULL) << 4; v >>= shift; r |= shift;
	shift = (v > 0xffULL) << 3; v >>= shift; r |= shift;
	shift = (v > 0xfULL) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3ULL) << 1; v >>= shift; r |= shift;
	r |= (unsigned int)(v >> 1);
	return r;
}

/* floor(log2(v)) for v > 0: one instruction where the CPU has one. */
static __always_inline unsigned int pm_log2(unsigned long long v)
{
#ifdef __bpf__
	return pm_log2_shifts(v);
#else
	return 63 - (unsigned int)__builtin_clzll(v);
#endif
}

static __always_inline unsigned int pm_hist_slot(unsigned long long v)
{
	unsigned int e;

	if (v < PM_HIST_SUB)
		return (unsigned int)v;
	e = pm_log2(v);
	return ((e - PM_HIST_SUB_BITS + 1) << PM_HIST_SUB_BITS) |
	       (unsigned int)((v >> (e - PM_HIST_SUB_BITS)) & (PM_HIST_SUB - 1));
}

/* Smallest value that falls into @slot. */
static __always_inline unsigned long long pm_hist_slot_low(unsigned int slot)
{
	unsigned int g = slot >> PM_HIST_SUB_BITS, s = slot & (PM_HIST_SUB - 1);

	if (g == 0)
		return s;
	return (unsigned long long)(PM_HIST_SUB | s) << (g - 1);
}

/*
 * Record @v in @h: the one add of pagemove, for the BPF programs (on a
 * per-CPU map value) and for userspace alike.  The bound check never
 * fails; the BPF verifier needs it to accept the index.
 */
static __always_inline void pm_hist_add(struct pm_hist *h, unsigned long long v)
{
	unsigned int slot = pm_hist_slot(v);

	if (slot >= PM_HIST_SLOTS)
		return;
	h->slots[slot]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

#endif /* PAGEMOVE_HIST_FORMAT_H */
