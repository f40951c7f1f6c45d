// SPDX-License-Identifier: GPL-2.0
/*
 * zsmigrate.bpf.c - zsmalloc page migration: outcomes of every isolate,
 * migrate and putback, their latency, the zsmalloc operations they stall,
 * and a race detector checking the 7.3 locking protocol around each
 * migration window (shared/research/zsmalloc-7.3.md; the checks are listed
 * in enum zm_check and the README).
 *
 * Every attach variant is here; the loader enables one per mode:
 *   tp_btf   the pagemove series' zsmalloc events (zs_migrate_isolate,
 *            zs_migrate_begin/_end, zs_migrate_putback) for the outcomes,
 *            with nr_objs for the objs_moved check;
 *   fentry   fentry/fexit on zs_page_isolate/zs_page_migrate/zs_page_putback
 *            (static but address-taken through zsmalloc_mops: out of line);
 *   kprobe   kprobe/kretprobe on the same, outcomes and the page checks only.
 * The operation hooks (zs_malloc, zs_free, zs_obj_read_*, zs_obj_write,
 * zs_compact, zs_shrinker_scan) are fentry/fexit programs named ops_* and
 * are loaded in the tp_btf and fentry modes alike (tools/zsmigrate.c says
 * so to the framework); zs_shrinker_scan is optional.
 *
 * Decoding of an obj value (x86_64, mm/zsmalloc.c: _PFN_BITS 40, so
 * ZS_OBJ_PFN_SHIFT 24, ZS_OBJ_CLASS_BITS 9, ZS_OBJ_IDX_BITS 15) is not in
 * BTF: it is hard-coded here and checked at run time against the zspage's
 * class (decode_bad).  zpdesc overlays struct page (mm/zpdesc.h, v7.3).
 */
#include "vmlinux.h"
#include "tracer.bpf.h"
#include "pagemove/zsmigrate.h"

/*
 * ZM_PLANT=N (tests/vm/zsmigrate-plant.sh only, never in build/bin): a bug
 * planted in the detector or the counts, which tests/vm/zsmigrate.sh must
 * catch on a clean kernel.
 */
#ifndef ZM_PLANT
#define ZM_PLANT 0
#endif
#define PLANT(n)	(ZM_PLANT == (n))

#define RINGBUF_SIZE		(8 * 1024 * 1024)	/* 52k migrations: offlining bursts */
#define PAGE_SZ			4096
#define OBJ_PFN_SHIFT		24
#define OBJ_IDX_BITS		15
#define OBJ_IDX_MASK		((1UL << OBJ_IDX_BITS) - 1)
#define OBJ_CLASS_MASK		0x1ff
#define NR_CLASSES		255
#define ZSPAGE_MAGIC		0x58
#define EBUSY			16
#define MAX_ERRNO		4095
#define KERNEL_ADDR_MIN		0xffff800000000000ULL
#define FREEOBJ_END1		0xffffffffU	/* init_zspage()'s -1UL << 1 */
#define FREEOBJ_END2		0x7fffffffU	/* obj_free() on a full zspage, 32-bit shift */

/* Typeless: x86_64 with a dynamic memory layout exports both. */
extern const void vmemmap_base __ksym __weak;
extern const void page_offset_base __ksym __weak;

struct zm_totals totals;
__u64 compact_active;	/* zs_compact()/zs_shrinker_scan() running */
__u64 compact_gen;	/* bumped at each of their entries and exits */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZM_NR_STAGES);
	__type(key, __u32);
	__type(value, struct pm_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_SIZE);
} events SEC(".maps");

/* The last migration of a zspage (key: zspage) or in a class (key: class). */
struct mwin {
	__u64 t0, t1;		/* t1 0: still running */
	__u64 old_pfn, new_pfn;
	__u32 cpu, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct mwin);
} win_zspage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct mwin);
} win_class SEC(".maps");

/* A migration in flight, per thread (t0 0: none). */
struct mst {
	__u64 t0;
	__u64 page, newpage, zspage;
	__u64 huge_handle;	/* fentry: a huge zspage's handle word, read at entry */
};

/*
 * Isolated pages: when (isolate_gap).  Every isolated page is migrated or
 * put back, which deletes its entry: a plain hash, cheaper to update than
 * an LRU one; when full, the gap of a page is not measured.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} isolated SEC(".maps");

/* An operation in flight, per thread and op (t0 0: none). */
struct opst {
	__u64 t0;
	__u64 klass;		/* zs_free: its class */
	__u64 gen;		/* compact_gen at entry */
};

/* The object a task has mapped (handle 0: none), and obj at read_begin's return. */
struct reader {
	__u64 handle;
	__u64 obj;
	__u64 mem;		/* what read_begin returned (0: the sg variant) */
};

/*
 * A page walk's state, in the task's storage (fexit programs can be
 * preempted: a per-CPU value could be another task's by the next slot)
 * and not on the stack, so that the verifier sees the same state at each
 * bpf_loop() iteration (a stack context it would track value by value).
 * The page itself is read in place, a word per slot (load_u64()).
 */
struct walk {
	__u64 addr;		/* the page in the direct map */
	__u64 pfn;
	__u32 first, size, n;
	__u32 live;		/* D: may change under us (S is frozen) */
	__u32 nr_alloc;
	__u32 bad_words;
	__u64 bad_word, bad_off;
	__u32 old_handles, pad;
	__u64 old_handle, old_value;
};

/*
 * What one thread has in flight, in task-local storage: one lookup in the
 * task's own storage where a hash keyed by tid costs a hash, a bucket lock
 * and an element to allocate or free at each operation's entry and exit.
 */
struct tstate {
	struct opst op[ZM_NR_OPS];	/* by enum zm_op */
	struct mst mig;
	struct reader rd;
	__u64 kp_page;			/* kprobe: zs_page_isolate()'s page (0: none) */
	struct walk walk[2];		/* the migration exit's: S and D */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tstate);
} tstates SEC(".maps");

/* This thread's state; NULL when it has none and @create is false (or no memory). */
static __always_inline struct tstate *tstate(bool create)
{
	return bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}


/* --- reading zsmalloc's objects ------------------------------------------- */

/*
 * A pointer argument of a tp_btf/fentry program as a number: the verifier
 * refuses arithmetic on it (and it becomes a map key or an address).  A
 * probe read of the stack slot, not a store to a per-CPU slot and a load
 * back: fentry/fexit programs run with migration, not preemption,
 * disabled (PREEMPT_RCU), and another task's program could take the slot
 * in between.
 */
static __always_inline __u64 num(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/*
 * Set when vmemmap_base or page_offset_base could not be read and the fixed
 * x86_64 4-level bases stood in: right on a kernel without a dynamic memory
 * layout (which then has neither symbol), wrong on one whose symbols libbpf
 * could not resolve.  zsmigrate tells the two apart from /proc/kallsyms and
 * reports every check as not checked in the second case.
 */
__u32 layout_guessed;

static __always_inline __u64 ksym_val(const void *sym, __u64 dflt)
{
	__u64 v = 0;

	if (PLANT(12) || !sym || bpf_probe_read_kernel(&v, sizeof(v), sym)) {
		if (!layout_guessed)
			layout_guessed = 1;
		return dflt;
	}
	return v;
}

/* The two bases, read once (0: not yet; every CPU reads the same value). */
__u64 vmemmap_cached, direct_map_cached;

static __always_inline __u64 vmemmap(void)
{
	__u64 v = vmemmap_cached;

	if (!v)
		vmemmap_cached = v = ksym_val(&vmemmap_base, 0xffffea0000000000ULL);
	return v;
}

static __always_inline __u64 direct_map(void)
{
	__u64 v = direct_map_cached;

	if (!v)
		direct_map_cached = v = ksym_val(&page_offset_base, 0xffff888000000000ULL);
	return v;
}

static __always_inline __u64 pfn_to_page(__u64 pfn)
{
	return vmemmap() + pfn * bpf_core_type_size(struct page);
}

static __always_inline __u64 page_to_pfn(__u64 page)
{
	return (page - vmemmap()) / bpf_core_type_size(struct page);
}

static __always_inline __u64 pfn_addr(__u64 pfn)
{
	return direct_map() + (pfn << 12);
}

static __always_inline __u64 read_u64(__u64 addr, int *err)
{
	__u64 v = 0;

	*err = bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr);
	return v;
}

/*
 * A word of kernel memory read in place: bpf_rdonly_cast() to void makes
 * @addr untrusted read-only memory, whose loads the JIT emits inline (an
 * address-range check, the load, an exception-table fixup: a fault reads
 * 0), where bpf_probe_read_kernel() is a helper call and a copy loop.  For the
 * direct map (the pages walked) and slab memory (handles).  Type ID 0
 * (void) needs a verifier that returns untrusted memory for it, as the
 * pinned v7.3's does (kernel/bpf/verifier.c, KF_bpf_rdonly_cast); v6.2's
 * original kfunc took struct types only, and such a kernel refuses to
 * load these programs rather than run them wrong.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* @p (a pointer or an address) as untrusted read-only memory. */
#define UMEM(p)		((const char *)bpf_rdonly_cast((const void *)(p), 0))

static __always_inline __u64 kload(const char *a, __u32 size)
{
	switch (size) {
	case 1: return *(const __u8 *)a;
	case 2: return *(const __u16 *)a;
	case 4: return *(const __u32 *)a;
	default: return *(const __u64 *)a;
	}
}

static __always_inline __u64 load_u64(__u64 addr)
{
	return kload(UMEM(addr), sizeof(__u64));
}

/*
 * BPF_CORE_READ() and BPF_CORE_READ_BITFIELD_PROBED() with in-place loads:
 * the same CO-RE relocations (offset, size, shifts of the field in this
 * kernel), no helper call.  A fault reads 0, as a failed probe read did.
 * KREAD_BF() is for unsigned bit fields (zspage's are); kload() reads 8
 * bytes for any size other than 1, 2 and 4.
 */
#define KREAD(s, f) ((typeof((s)->f))kload(UMEM(s) +				\
	__builtin_preserve_field_info((s)->f, BPF_FIELD_BYTE_OFFSET),		\
	__builtin_preserve_field_info((s)->f, BPF_FIELD_BYTE_SIZE)))

#define KREAD_BF(s, f) ({							\
	__u64 __v = kload(UMEM(s) +						\
		__builtin_preserve_field_info((s)->f, BPF_FIELD_BYTE_OFFSET),	\
		__builtin_preserve_field_info((s)->f, BPF_FIELD_BYTE_SIZE));	\
	__v <<= __builtin_preserve_field_info((s)->f, BPF_FIELD_LSHIFT_U64);	\
	__v >>= __builtin_preserve_field_info((s)->f, BPF_FIELD_RSHIFT_U64);	\
	__v;									\
})

static __always_inline struct zspage *page_zspage(__u64 page)
{
	return KREAD((struct zpdesc *)page, zspage);
}

static __always_inline struct size_class *pool_class(struct zs_pool *pool, __u32 idx)
{
	if (idx >= NR_CLASSES)
		return NULL;
	return (struct size_class *)kload(UMEM(pool) + bpf_core_field_offset(struct zs_pool,
					  size_class) + idx * sizeof(void *), sizeof(void *));
}

/* A handle's obj value; 0 (never a valid one: pfn 0) if it cannot be read. */
static __always_inline __u64 handle_obj(__u64 handle)
{
	return load_u64(handle);
}

static __always_inline struct size_class *zspage_class(struct zspage *z)
{
	struct zs_pool *pool = KREAD(z, pool);
	__u32 idx = KREAD_BF(z, class);

	return pool ? pool_class(pool, idx) : NULL;
}

static __always_inline bool freeobj_ok(__u32 f, __u32 n)
{
	return f <= n || f == FREEOBJ_END1 || f == FREEOBJ_END2;
}

static __always_inline void hist_add(__u32 stage, __u64 v)
{
	struct pm_hist *h = bpf_map_lookup_elem(&hists, &stage);

	if (h)
		pm_hist_add(h, v);
}

#define INC(f)	__sync_fetch_and_add(&totals.f, 1)

static __always_inline void run(int c)
{
	if (c >= 0 && c < ZM_NR_CHECKS)
		__sync_fetch_and_add(&totals.runs[c], 1);
}

static __always_inline void skip(int c)
{
	if (c >= 0 && c < ZM_NR_CHECKS)
		__sync_fetch_and_add(&totals.skipped[c], 1);
}

/*
 * A violation: counted, sent through the ring buffer with the last
 * migration of that zspage, and printed to the trace buffer (a kernel
 * that oopses right after still shows it with ftrace_dump_on_oops).
 */
struct rep {
	__u64 zspage, old_pfn, new_pfn, handle, value, expected;
	__u32 check, op, class_size, pad;
};

static __noinline int report(struct rep *r)
{
	__u64 zspage = r->zspage;
	struct mwin *w = zspage ? bpf_map_lookup_elem(&win_zspage, &zspage) : NULL;
	__u32 check = r->check;
	struct zm_event *e;

	if (check >= ZM_NR_CHECKS)
		return 0;
	__sync_fetch_and_add(&totals.violations[check], 1);
	__sync_fetch_and_add(&totals.race_reports, 1);
	bpf_printk("zsmigrate: race check=%u zspage=%llx value=%llx", check, zspage, r->value);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		INC(lost_events);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = ZM_EV_RACE;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_ns();
	e->check = check;
	e->op = r->op;
	e->zspage = zspage;
	e->class_size = r->class_size;
	e->old_pfn = r->old_pfn;
	e->new_pfn = r->new_pfn;
	e->handle = r->handle;
	e->value = r->value;
	e->expected = r->expected;
	if (w && r->op != ZM_OP_MIGRATE) {
		e->other_op = ZM_OP_MIGRATE;
		e->other_cpu = w->cpu;
		e->other_ts = w->t0;
		if (!e->old_pfn)
			e->old_pfn = w->old_pfn;
		if (!e->new_pfn)
			e->new_pfn = w->new_pfn;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* REPORT(check, op, zspage, class_size, old_pfn, new_pfn, handle, value, expected) */
#define REPORT(c, o, z, sz, op_, np, h, v, x) do {				\
	struct rep __r = { .check = (c), .op = (o), .zspage = (__u64)(z),	\
			   .class_size = (sz), .old_pfn = (op_), .new_pfn = (np),	\
			   .handle = (h), .value = (v), .expected = (x) };		\
	report(&__r);								\
} while (0)

/* --- migration windows, stalls ------------------------------------------------ */

/*
 * A window opens: in place when the key has one already (most migrations
 * move a zspage migrated before), else a new element.  t1 is cleared
 * before t0 moves (see overlapped()); barrier() orders the compiler only,
 * the stores' order is x86's.
 */
static __always_inline void window_set(void *map, __u64 key, struct mwin *nw)
{
	struct mwin *w = bpf_map_lookup_elem(map, &key);

	if (!w) {
		bpf_map_update_elem(map, &key, nw, BPF_ANY);
		return;
	}
	*(volatile __u64 *)&w->t1 = 0;
	barrier();
	*(volatile __u64 *)&w->t0 = nw->t0;
	w->old_pfn = nw->old_pfn;
	w->new_pfn = 0;
	w->cpu = nw->cpu;
}

static __always_inline void window_open(__u64 zspage, __u64 klass, __u64 old_pfn, __u64 now)
{
	struct mwin w = { .t0 = now, .old_pfn = old_pfn, .cpu = bpf_get_smp_processor_id() };

	if (zspage)
		window_set(&win_zspage, zspage, &w);
	if (klass)
		window_set(&win_class, klass, &w);
}

static __always_inline void window_close(__u64 zspage, __u64 klass, __u64 new_pfn, __u64 now)
{
	struct mwin *w;

	if (zspage && (w = bpf_map_lookup_elem(&win_zspage, &zspage))) {
		w->t1 = now;
		w->new_pfn = new_pfn;
	}
	if (klass && (w = bpf_map_lookup_elem(&win_class, &klass))) {
		w->t1 = now;
		w->new_pfn = new_pfn;
	}
}

/*
 * Did an operation over [t0, t1] overlap the last migration of @key?  The
 * window's t0 is loaded before its t1, against window_set()'s order (t1
 * cleared, then t0 set): with x86's ordering of stores and of loads, a new
 * t0 comes with a cleared t1.  Elsewhere a window read during its update
 * can be off for that one operation's stall count.
 */
static __always_inline bool overlapped(void *map, __u64 key, __u64 t0, __u64 t1)
{
	struct mwin *w = key ? bpf_map_lookup_elem(map, &key) : NULL;
	__u64 w0, w1;

	if (!w)
		return false;
	w0 = *(volatile __u64 *)&w->t0;
	w1 = *(volatile __u64 *)&w->t1;
	return w0 <= t1 && (!w1 || w1 >= t0);
}

static __always_inline void op_done(int stall, __u32 stage, void *map, __u64 key, __u64 t0)
{
	__u64 now = bpf_ktime_get_ns();

	if (stall < 0 || stall >= ZM_NR_STALLS)
		return;
	__sync_fetch_and_add(&totals.ops[stall], 1);
	if (t0 && overlapped(map, key, t0, now)) {
		__sync_fetch_and_add(&totals.stalled[stall], 1);
		hist_add(stage, now - t0);
	}
}

/* @op begins in the thread whose state is @ts (tstate(true)'s). */
static __always_inline struct opst *op_begin_in(struct tstate *ts, int op)
{
	struct opst *st;

	if (!ts)
		INC(state_lost);
	if (!ts || op < 0 || op >= ZM_NR_OPS)
		return NULL;
	st = &ts->op[op];
	st->t0 = bpf_ktime_get_ns();
	st->klass = st->gen = 0;
	return st;
}

static __always_inline struct opst *op_begin(int op)
{
	return op_begin_in(tstate(true), op);
}

/* @op's state in @ts from its entry; NULL if its entry left none. */
static __always_inline struct opst *op_in(struct tstate *ts, int op)
{
	if (!ts || op < 0 || op >= ZM_NR_OPS || !ts->op[op].t0)
		return NULL;
	return &ts->op[op];
}

static __always_inline struct opst *op_get(int op)
{
	return op_in(tstate(false), op);
}

static __always_inline void op_end(struct opst *st)
{
	st->t0 = 0;
}

/* --- the page checks, at the end of a successful migration ---------------------- */

static __always_inline bool word_ok(__u64 w, __u32 n)
{
	if (w & 1)
		return (w & ~1ULL) >= KERNEL_ADDR_MIN;
	return freeobj_ok((__u32)(w >> 1), n);
}

struct walk_ctx {
	struct walk *k;
};

static long walk_slot(__u32 i, void *ctx)
{
	struct walk *k = ((struct walk_ctx *)ctx)->k;
	__u64 off, w, v;

	if (!k)
		return 1;
	off = k->first + (__u64)i * k->size;
	if (off + 8 > PAGE_SZ)
		return 1;
	w = load_u64(k->addr + off);	/* an 8-byte load: not torn */
	if (!word_ok(w, PLANT(3) ? 0 : k->n)) {
		if (!k->bad_words++) {
			k->bad_word = w;
			k->bad_off = off;
		}
	} else if (w & 1) {
		k->nr_alloc++;
		if (!k->live) {
			v = load_u64(w & ~1ULL);	/* a fault reads 0: no pfn */
			if (v && ((v >> OBJ_PFN_SHIFT) == k->pfn) != PLANT(1) &&
			    !k->old_handles++) {
				k->old_handle = w & ~1ULL;
				k->old_value = v;
			}
		}
	}
	return 0;
}

/* Walk the slots of @page (S: @which 0, frozen; D: 1, live); NULL on failure. */
static __always_inline struct walk *walk_page(__u32 which, __u64 page, __u32 size, __u32 n)
{
	struct tstate *ts = tstate(false);
	struct walk *k = ts ? &ts->walk[which & 1] : NULL;
	struct walk_ctx c = { .k = k };
	__u64 w0;

	if (!k || size < 16)
		return NULL;
	k->pfn = page_to_pfn(page);
	k->addr = pfn_addr(k->pfn);
	/* In-place loads read 0 on a fault: a page that cannot be read is no check. */
	if (bpf_probe_read_kernel(&w0, sizeof(w0), (const void *)k->addr))
		return NULL;
	k->first = KREAD((struct zpdesc *)page, first_obj_offset) & 0xffffff;
	k->size = size;
	k->n = n;
	k->live = which;
	k->nr_alloc = k->bad_words = k->old_handles = 0;
	bpf_loop(PAGE_SZ / 16 + 1, walk_slot, &c, 0);
	return k;
}

/*
 * S (@page) was migrated to D (@newpage) and belongs to @z; S is frozen
 * (nobody writes it after copy_page() in a correct kernel), D is live.
 * @nr_objs: the series event's count, or -1.  Returns the objects moved.
 */
static __always_inline __u32 check_migrated(__u64 page, __u64 newpage, struct zspage *z,
				       struct size_class *c, __u64 huge_handle, __s64 nr_objs)
{
	struct walk *s, *d;
	__u32 size, n, f, huge;
	__u64 spfn = page_to_pfn(page), dpfn = page_to_pfn(newpage), v;
	__u32 moved = 0;
	int err;

	if (!z || !c)
		return 0;
	size = KREAD(c, size);
	n = KREAD(c, objs_per_zspage);
	huge = KREAD_BF(z, huge);
	if (huge) {
		/* One object, its handle in the first zpdesc's handle word. */
		if (!(huge_handle & 1)) {
			skip(ZM_C_HANDLE_OLD_PAGE);	/* no object, or freed meanwhile */
			return 0;
		}
		run(ZM_C_HANDLE_OLD_PAGE);
		v = read_u64(huge_handle & ~1ULL, &err);
		if (!err && (v >> OBJ_PFN_SHIFT) == spfn)
			REPORT(ZM_C_HANDLE_OLD_PAGE, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
			       huge_handle & ~1ULL, v, dpfn);
		if (nr_objs >= 0) {
			run(ZM_C_OBJS_MOVED);
			if (nr_objs != 1)
				REPORT(ZM_C_OBJS_MOVED, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
				       0, nr_objs, 1);
		}
		return 1;
	}
	s = walk_page(0, page, size, n);
	if (s) {
		moved = s->nr_alloc;
		run(ZM_C_HANDLE_OLD_PAGE);
		run(ZM_C_SLOT_WORDS);
		if (s->old_handles)
			REPORT(ZM_C_HANDLE_OLD_PAGE, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
			       s->old_handle, s->old_value, dpfn);
		if (s->bad_words)
			REPORT(ZM_C_SLOT_WORDS, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
			       s->bad_off, s->bad_word, spfn);
		if (nr_objs >= 0) {
			run(ZM_C_OBJS_MOVED);
			if (moved != nr_objs + PLANT(2))
				REPORT(ZM_C_OBJS_MOVED, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
				       0, nr_objs, moved);
		}
	} else {
		skip(ZM_C_HANDLE_OLD_PAGE);
	}
	d = walk_page(1, newpage, size, n);
	if (d) {
		run(ZM_C_SLOT_WORDS);
		if (d->bad_words)
			REPORT(ZM_C_SLOT_WORDS, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn,
			       d->bad_off, d->bad_word, dpfn);
	}
	f = KREAD(z, freeobj);
	run(ZM_C_FREEOBJ_RANGE);
	if (!freeobj_ok(f, n))
		REPORT(ZM_C_FREEOBJ_RANGE, ZM_OP_MIGRATE, (__u64)z, size, spfn, dpfn, 0, f, n);
	return moved;
}

/* --- freeobj_walk: the free list, under class->lock (obj_malloc entry) ------------ */

#define MAX_CHAIN	16	/* CONFIG_ZSMALLOC_CHAIN_SIZE's maximum */
#define RECENT_NS	(30ULL * 1000000000)

struct fwalk {
	__u64 pfn[MAX_CHAIN];
	__u32 npages, size, n, limit;
	__u32 f, steps, bad, pad;
	__u64 bad_word;
};

/* Per CPU: obj_malloc() runs under class->lock, preemption off. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwalk);
} fwalks SEC(".maps");

struct fwalk_ctx {
	struct fwalk *k;
	struct zpdesc *zp;
};

static long chain_page(__u32 i, void *ctx)
{
	struct fwalk_ctx *c = ctx;
	struct fwalk *k = c->k;
	struct zpdesc *zp;
	__u32 idx = i;

	if (!k || !c->zp || i >= MAX_CHAIN)
		return 1;
	barrier_var(idx);	/* keep the mask: the verifier needs it */
	idx &= MAX_CHAIN - 1;
	k->pfn[idx] = page_to_pfn((__u64)c->zp);
	k->npages = i + 1;
	zp = c->zp;
	c->zp = KREAD(zp, next);
	return 0;
}

/* One step: slot f must be free (an even link word); f becomes its link. */
static long free_step(__u32 i, void *ctx)
{
	struct fwalk *k = ((struct fwalk_ctx *)ctx)->k;
	__u64 off, w;
	__u32 pg;

	if (!k)
		return 1;
	if (k->f >= k->n)	/* n: the phantom slot; or a terminator */
		return 1;
	if (k->steps >= k->limit) {
		k->bad = 2;	/* longer than the free count: a cycle or a lost inuse */
		return 1;
	}
	off = (__u64)k->f * k->size;
	pg = off >> 12;
	if (pg >= k->npages || pg >= MAX_CHAIN) {
		k->bad = 3;
		return 1;
	}
	barrier_var(pg);
	pg &= MAX_CHAIN - 1;
	w = load_u64(pfn_addr(k->pfn[pg]) + (off & (PAGE_SZ - 1)));
	if (w & 1) {
		k->bad = 4;	/* an allocated slot on the free list */
		k->bad_word = w;
		return 1;
	}
	k->f = (__u32)(w >> 1);
	k->steps++;
	return 0;
}

/*
 * Under class->lock, for a zspage migrated in the last RECENT_NS (or now):
 * from freeobj, exactly objs_per_zspage - inuse free slots, each an even
 * link word, then n (the phantom slot) or a terminator.
 */
static __always_inline void freeobj_walk(struct zs_pool *pool, struct zspage *z)
{
	__u64 key = (__u64)z, now = bpf_ktime_get_ns();
	struct mwin *win = bpf_map_lookup_elem(&win_zspage, &key);
	struct size_class *c;
	struct fwalk_ctx ctx = {};
	struct fwalk *k;
	__u32 zero = 0, inuse, f0;

	if (!win || (win->t1 && now - win->t1 > RECENT_NS))
		return;
	if (KREAD_BF(z, huge))
		return;
	c = pool_class(pool, KREAD_BF(z, class));
	k = bpf_map_lookup_elem(&fwalks, &zero);
	if (!c || !k)
		return;
	k->size = KREAD(c, size);
	k->n = KREAD(c, objs_per_zspage);
	inuse = KREAD(z, inuse);
	f0 = KREAD(z, freeobj);
	k->f = f0;
	k->steps = k->bad = k->npages = 0;
	k->bad_word = 0;
	if (inuse > k->n || k->size < 16) {
		k->bad = 1;
	} else {
		k->limit = k->n - inuse;
		ctx.k = k;
		ctx.zp = KREAD(z, first_zpdesc);
		bpf_loop(MAX_CHAIN, chain_page, &ctx, 0);
		bpf_loop(4096, free_step, &ctx, 0);
		if (!k->bad && (k->steps != k->limit || !freeobj_ok(k->f, k->n)))
			k->bad = 5;
	}
	run(ZM_C_FREEOBJ_WALK);
	if (k->bad && !PLANT(11))
		REPORT(ZM_C_FREEOBJ_WALK, ZM_OP_MALLOC, (__u64)z, k->size, 0, 0, k->bad,
		       ((__u64)f0 << 32) | k->steps, k->limit);
	else if (PLANT(11))
		REPORT(ZM_C_FREEOBJ_WALK, ZM_OP_MALLOC, (__u64)z, k->size, 0, 0, 0,
		       ((__u64)f0 << 32) | k->steps, k->limit);
}

/* --- the outcomes: every mode ends here -------------------------------------------- */

static __always_inline void on_isolated(__u64 page, bool ok)
{
	__u64 now = bpf_ktime_get_ns();

	if (!pm_traced())
		return;
	if (!ok) {
		INC(outcome[ZM_ISOLATE_REFUSED]);
		return;
	}
	INC(outcome[ZM_ISOLATED]);
	if (bpf_map_update_elem(&isolated, &page, &now, BPF_ANY))
		INC(state_lost);	/* full: this page's isolate_gap is not measured */
}

static __always_inline void on_putback(__u64 page)
{
	if (!pm_traced())
		return;
	INC(outcome[ZM_PUTBACK]);
	bpf_map_delete_elem(&isolated, &page);
}

static __always_inline void on_migrate_begin(__u64 newpage, __u64 page)
{
	struct mst st = { .t0 = bpf_ktime_get_ns(), .page = page, .newpage = newpage };
	struct tstate *ts;
	struct zspage *z;
	__u64 *t;

	if (!pm_traced())
		return;
	t = bpf_map_lookup_elem(&isolated, &page);
	if (t) {
		hist_add(ZM_ISOLATE_GAP, st.t0 - *t);
		bpf_map_delete_elem(&isolated, &page);
	}
	/* No state, no window: nothing would close it. */
	ts = tstate(true);
	if (!ts) {
		INC(state_lost);
		return;
	}
	/* S's page lock is held across the call: its zspage cannot go. */
	z = page_zspage(page);
	st.zspage = (__u64)z;
	if (z) {
		if (KREAD_BF(z, huge))
			st.huge_handle = KREAD((struct zpdesc *)page, handle);
		window_open((__u64)z, (__u64)zspage_class(z), page_to_pfn(page), st.t0);
	}
	ts->mig = st;
}

/* This thread's migration in flight, or NULL. */
static __always_inline struct mst *mig_get(void)
{
	struct tstate *ts = tstate(false);

	return ts && ts->mig.t0 ? &ts->mig : NULL;
}

/*
 * @result from the series' event, or derived from the return value;
 * @klass/@nr_objs from the series' event (else NULL, -1); @page: the old
 * page where the hook has it (0: a kretprobe), which must be the one this
 * thread's begin stored: a begin the kernel skipped leaves an earlier
 * migration's state, whose exit it skipped, behind.  That state's window
 * is closed, unchecked.
 */
static __always_inline void on_migrate_end(int result, struct size_class *klass, __s64 nr_objs,
					   bool have_page, __u64 page)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mst *st = mig_get();
	struct zpdesc *sp, *dp;
	struct zspage *z;
	struct zm_event *e;
	__u64 now = bpf_ktime_get_ns(), hh;
	__u32 moved = 0;

	if (!st)
		return;
	if (page && st->page != page) {
		window_close(st->zspage, 0, 0, now);
		st->t0 = 0;
		return;
	}
	z = (struct zspage *)st->zspage;
	if (result == ZM_R_SUCCESS && !z)
		result = ZM_R_FREED;	/* fexit: 0 without a zspage */
	if (!klass && z)
		klass = zspage_class(z);
	hist_add(ZM_MIGRATE, now - st->t0);
	switch (result) {
	case ZM_R_SUCCESS:
		INC(outcome[ZM_MIGRATED]);
		sp = (struct zpdesc *)st->page;
		dp = (struct zpdesc *)st->newpage;
		hh = st->huge_handle;
		if (have_page) {	/* tp: before reset_zpdesc(S), the word is still there */
			hh = KREAD(sp, handle);
		} else if (KREAD(dp, handle) != hh) {
			/*
			 * fexit: the migration copies S's handle word to D.  Not
			 * the word read at entry: the object was freed since
			 * (obj_free() clears the word of a huge zspage), before
			 * the migration (its handle is free memory that may still
			 * name S: seen on stock, 1 in 106892 migrations) or after
			 * it.  Not compared.
			 */
			hh = 0;
		}
		moved = check_migrated(st->page, st->newpage, z, klass, hh, nr_objs);
		__sync_fetch_and_add(&totals.outcome[ZM_OBJS_MOVED], moved + PLANT(9));
		break;
	case ZM_R_BUSY:
		INC(outcome[ZM_BUSY]);
		break;
	case ZM_R_FREED:
		INC(outcome[ZM_FREED_ISOLATED]);
		break;
	default:
		INC(outcome[ZM_OTHER_ERROR]);
		break;
	}
	window_close((__u64)z, (__u64)klass, result == ZM_R_SUCCESS ? page_to_pfn(st->newpage) : 0,
		     now);
	if (pm_events) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			INC(lost_events);
		} else {
			__builtin_memset(e, 0, sizeof(*e));
			e->type = ZM_EV_MIGRATION;
			e->cpu = bpf_get_smp_processor_id();
			e->pid = tid;
			e->ts = now;
			e->dur_ns = now - st->t0;
			e->zspage = (__u64)z;
			e->class_size = klass ? KREAD(klass, size) : 0;
			e->old_pfn = page_to_pfn(st->page);
			e->new_pfn = page_to_pfn(st->newpage);
			e->result = result;
			e->nr_objs = moved;
			bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
					      RINGBUF_SIZE / 4 ? BPF_RB_FORCE_WAKEUP :
					      BPF_RB_NO_WAKEUP);
		}
	}
	st->t0 = 0;
}

static __always_inline int result_of(int ret)
{
	if (ret == 0)
		return ZM_R_SUCCESS;
	return ret == -EBUSY ? ZM_R_BUSY : ZM_R_ERROR;
}

/* --- tp_btf: the series' events ---------------------------------------------------- */

SEC("tp_btf/zs_migrate_isolate")
int BPF_PROG(tp_isolate, struct page *page, bool ok)
{
	on_isolated(num(page), ok);
	return 0;
}

SEC("tp_btf/zs_migrate_begin")
int BPF_PROG(tp_migrate_begin, struct page *page)
{
	/* newpage comes with the end event: store it there. */
	on_migrate_begin(0, num(page));
	return 0;
}

SEC("tp_btf/zs_migrate_end")
int BPF_PROG(tp_migrate_end, struct zs_pool *pool, struct size_class *class, struct page *page,
	     struct page *newpage, unsigned int nr_objs, int result)
{
	struct mst *st = mig_get();

	if (!st)
		return 0;
	st->newpage = num(newpage);
	/* 0 success, 1 busy, 2 freed: enum zs_migrate_result of the series */
	on_migrate_end(result == 0 ? ZM_R_SUCCESS : result == 1 ? ZM_R_BUSY :
		       result == 2 ? ZM_R_FREED : ZM_R_ERROR, (struct size_class *)num(class),
		       nr_objs, true, num(page));
	return 0;
}

/* Per class, with the objects moved: only the series says. */
SEC("tp_btf/zs_compact_class")
int BPF_PROG(tp_compact_class, struct zs_pool *pool, struct size_class *class,
	     unsigned long nr_objs, unsigned long nr_pages)
{
	if (!pm_traced())
		return 0;
	INC(compact_classes);
	__sync_fetch_and_add(&totals.compact_objs, nr_objs);
	__sync_fetch_and_add(&totals.compact_class_pages, nr_pages);
	return 0;
}

SEC("tp_btf/zs_migrate_putback")
int BPF_PROG(tp_putback, struct page *page)
{
	on_putback(num(page));
	return 0;
}

/* --- fentry/fexit on stock ------------------------------------------------------------ */

SEC("fexit/zs_page_isolate")
int BPF_PROG(fx_isolate, struct page *page, isolate_mode_t mode, bool ret)
{
	on_isolated(num(page), ret);
	return 0;
}

SEC("fentry/zs_page_migrate")
int BPF_PROG(fn_migrate, struct page *newpage, struct page *page)
{
	on_migrate_begin(num(newpage), num(page));
	return 0;
}

SEC("fexit/zs_page_migrate")
int BPF_PROG(fx_migrate, struct page *newpage, struct page *page, enum migrate_mode mode, int ret)
{
	on_migrate_end(result_of(ret), NULL, -1, false, num(page));
	return 0;
}

SEC("fentry/zs_page_putback")
int BPF_PROG(fn_putback, struct page *page)
{
	on_putback(num(page));
	return 0;
}

/* --- kprobe/kretprobe: where fentry is refused ---------------------------------------- */

SEC("kprobe/zs_page_isolate")
int BPF_KPROBE(kp_isolate, struct page *page)
{
	struct tstate *ts = tstate(true);

	if (ts)
		ts->kp_page = (__u64)page;
	else
		INC(state_lost);
	return 0;
}

SEC("kretprobe/zs_page_isolate")
int BPF_KRETPROBE(kr_isolate, bool ret)
{
	struct tstate *ts = tstate(false);
	__u64 page = ts ? ts->kp_page : 0;

	if (page) {
		ts->kp_page = 0;
		on_isolated(page, ret);
	}
	return 0;
}

SEC("kprobe/zs_page_migrate")
int BPF_KPROBE(kp_migrate, struct page *newpage, struct page *page)
{
	on_migrate_begin(num(newpage), num(page));
	return 0;
}

SEC("kretprobe/zs_page_migrate")
int BPF_KRETPROBE(kr_migrate, int ret)
{
	on_migrate_end(result_of(ret), NULL, -1, false, 0);
	return 0;
}

SEC("kprobe/zs_page_putback")
int BPF_KPROBE(kp_putback, struct page *page)
{
	on_putback(num(page));
	return 0;
}

/* --- the operations: fentry/fexit, in the tp_btf and fentry modes ------------------- */

/*
 * Compaction: a guard for lost_write (compact_active, compact_gen), and
 * its pages freed, counted once: from zs_shrinker_scan()'s return when the
 * shrinker started it (it calls zs_compact(), maybe inlined), from
 * zs_compact()'s otherwise.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} in_shrinker SEC(".maps");

SEC("fentry/zs_compact")
int BPF_PROG(ops_compact_in)
{
	__sync_fetch_and_add(&compact_active, 1);
	__sync_fetch_and_add(&compact_gen, 1);
	return 0;
}

SEC("fexit/zs_compact")
int BPF_PROG(ops_compact_out, struct zs_pool *pool, unsigned long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	__sync_fetch_and_add(&compact_gen, 1);
	__sync_fetch_and_add(&compact_active, -1);
	if (pm_traced() && !bpf_map_lookup_elem(&in_shrinker, &tid)) {
		INC(compactions);
		__sync_fetch_and_add(&totals.compact_pages_freed, ret);
	}
	return 0;
}

SEC("fentry/zs_shrinker_scan")
int BPF_PROG(ops_shrink_in)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1;

	__sync_fetch_and_add(&compact_active, 1);
	__sync_fetch_and_add(&compact_gen, 1);
	bpf_map_update_elem(&in_shrinker, &tid, &one, BPF_ANY);
	return 0;
}

SEC("fexit/zs_shrinker_scan")
int BPF_PROG(ops_shrink_out, struct shrinker *shrinker, struct shrink_control *sc,
	     unsigned long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	__sync_fetch_and_add(&compact_gen, 1);
	__sync_fetch_and_add(&compact_active, -1);
	bpf_map_delete_elem(&in_shrinker, &tid);
	if (pm_traced() && ret != ~0UL) {	/* SHRINK_STOP */
		INC(compactions);
		__sync_fetch_and_add(&totals.compact_pages_freed, ret);
	}
	return 0;
}

SEC("fentry/zs_malloc")
int BPF_PROG(ops_malloc_in)
{
	if (pm_traced())
		op_begin(ZM_OP_MALLOC);
	return 0;
}

/* freeobj_range on the zspage the new object went to; stall_malloc. */
SEC("fexit/zs_malloc")
int BPF_PROG(ops_malloc_out, struct zs_pool *pool, size_t size, gfp_t gfp, int nid,
	     unsigned long handle)
{
	struct opst *st = op_get(ZM_OP_MALLOC);
	struct size_class *c;
	struct zspage *z;
	__u64 obj, obj2, gen, t0;
	__u32 f, n, cidx, zcls, huge, magic;
	int err;

	if (!st)
		return 0;
	t0 = st->t0;
	gen = compact_gen;
	op_end(st);
	if (handle >= -MAX_ERRNO || !handle)
		return 0;
	obj = handle_obj(handle);
	err = !obj;
	cidx = (obj >> OBJ_IDX_BITS) & OBJ_CLASS_MASK;
	c = pool_class(pool, cidx);
	op_done(ZM_S_MALLOC, ZM_STALL_MALLOC, &win_class, (__u64)c, t0);
	z = err ? NULL : page_zspage(pfn_to_page(obj >> OBJ_PFN_SHIFT));
	if (!z) {	/* moved (S reset) since we read it */
		skip(ZM_C_FREEOBJ_RANGE);
		return 0;
	}
	f = KREAD(z, freeobj);
	huge = KREAD_BF(z, huge);
	zcls = KREAD_BF(z, class);
	magic = KREAD_BF(z, magic);
	n = c ? KREAD(c, objs_per_zspage) : 0;
	obj2 = handle_obj(handle);
	err = !obj2;
	/* Everything read while h still named Z and no compaction ran. */
	if (err || obj2 != obj || magic != ZSPAGE_MAGIC || compact_active || gen != compact_gen ||
	    !c) {
		skip(ZM_C_FREEOBJ_RANGE);
		return 0;
	}
	if (zcls != KREAD(c, index))
		INC(decode_bad);
	if (huge)
		return 0;
	run(ZM_C_FREEOBJ_RANGE);
	if (!freeobj_ok(f, PLANT(4) ? 0 : n))
		REPORT(ZM_C_FREEOBJ_RANGE, ZM_OP_MALLOC, (__u64)z, KREAD(c, size),
		       obj >> OBJ_PFN_SHIFT, 0, handle, f, n);
	return 0;
}

/* Optional: obj_malloc() is static (three callers); it runs under class->lock. */
SEC("fentry/obj_malloc")
int BPF_PROG(ops_objm, struct zs_pool *pool, struct zspage *zspage)
{
	if (pm_traced())
		freeobj_walk((struct zs_pool *)num(pool), (struct zspage *)num(zspage));
	return 0;
}

SEC("fentry/zs_free")
int BPF_PROG(ops_free_in, struct zs_pool *pool, unsigned long handle)
{
	struct opst *st;
	__u64 obj;
	int err;

	if (!pm_traced() || !handle || handle >= -MAX_ERRNO)
		return 0;
	st = op_begin(ZM_OP_FREE);
	if (!st)
		return 0;
	obj = handle_obj(handle);
	err = !obj;
	if (!err)
		st->klass = (__u64)pool_class(pool, (obj >> OBJ_IDX_BITS) & OBJ_CLASS_MASK);
	return 0;
}

SEC("fexit/zs_free")
int BPF_PROG(ops_free_out)
{
	struct opst *st = op_get(ZM_OP_FREE);

	if (!st)
		return 0;
	op_done(ZM_S_FREE, ZM_STALL_FREE, &win_class, st->klass, st->t0);
	op_end(st);
	return 0;
}

/*
 * A reader holds Z's read lock from read_begin's return to read_end's
 * entry: the handle must name a live zspage's page, the mapping must be in
 * it, and the handle must not change in between.
 */
static __always_inline void reader_mapped(struct zs_pool *pool, __u64 handle, __u64 sgpage,
					  __u64 addr, bool single)
{
	struct tstate *ts = tstate(false);
	struct opst *st = op_in(ts, ZM_OP_READ);
	__u64 obj, pfn, page, t0 = st ? st->t0 : 0;
	struct zspage *z;
	struct size_class *c;
	__u32 magic = 0, size;
	int err;

	/*
	 * No begin state: the kernel skipped this read's fentry run (see
	 * missed_runs() in tools/tracer.c).  Leave no reader behind either,
	 * or a later read_end would compare with an earlier read's value.
	 */
	if (!ts)
		return;
	ts->rd.handle = 0;
	if (!st)
		return;
	op_end(st);
	obj = handle_obj(handle);
	err = !obj;
	if (err) {
		skip(ZM_C_STALE_MAPPING);
		return;
	}
	pfn = obj >> OBJ_PFN_SHIFT;
	page = pfn_to_page(pfn);
	z = page_zspage(page);
	op_done(ZM_S_READ, ZM_STALL_READ, &win_zspage, (__u64)z, t0);
	ts->rd.obj = obj;
	ts->rd.mem = sgpage ? 0 : addr;
	ts->rd.handle = handle;
	if (z)
		magic = KREAD_BF(z, magic);
	c = pool_class(pool, (obj >> OBJ_IDX_BITS) & OBJ_CLASS_MASK);
	size = c ? KREAD(c, size) : 0;
	if (!PLANT(10))
		run(ZM_C_STALE_MAPPING);
	if (!z || magic != ZSPAGE_MAGIC)
		REPORT(ZM_C_STALE_MAPPING, ZM_OP_READ, (__u64)z, size, pfn, 0, handle, obj, magic);
	else if (sgpage && sgpage != page)
		REPORT(ZM_C_STALE_MAPPING, ZM_OP_READ, (__u64)z, size, pfn,
		       page_to_pfn(sgpage), handle, sgpage, page);
	else if (single && ((addr - direct_map()) >> 12) != pfn + PLANT(5))
		REPORT(ZM_C_STALE_MAPPING, ZM_OP_READ, (__u64)z, size, pfn,
		       (addr - direct_map()) >> 12, handle, addr, pfn_addr(pfn));
}

/*
 * A read begins: forget what an earlier read of this task left (its
 * read_end run skipped by the kernel), so that only this read's own begin
 * can be compared at its end.  Untraced tasks never leave a reader.
 */
static __always_inline void reader_begin(void)
{
	struct tstate *ts;

	if (!pm_traced())
		return;
	ts = tstate(true);
	if (ts)
		ts->rd.handle = 0;
	op_begin_in(ts, ZM_OP_READ);
}

SEC("fentry/zs_obj_read_begin")
int BPF_PROG(ops_read_in)
{
	reader_begin();
	return 0;
}

SEC("fexit/zs_obj_read_begin")
int BPF_PROG(ops_read_out, struct zs_pool *pool, unsigned long handle, size_t mem_len,
	     void *local_copy, void *ret)
{
	reader_mapped((struct zs_pool *)num(pool), handle, 0, num(ret), ret != local_copy);
	return 0;
}

SEC("fentry/zs_obj_read_sg_begin")
int BPF_PROG(ops_sg_in)
{
	reader_begin();
	return 0;
}

SEC("fexit/zs_obj_read_sg_begin")
int BPF_PROG(ops_sg_out, struct zs_pool *pool, unsigned long handle, struct scatterlist *sg)
{
	reader_mapped((struct zs_pool *)num(pool), handle, KREAD(sg, page_link) & ~3UL, 0,
		      false);
	return 0;
}

/* moved_under_reader; returns the obj value now, 0 if not ours. */
static __always_inline __u64 reader_done(__u64 handle, __u64 mem)
{
	struct tstate *ts = tstate(false);
	struct reader *was = ts && ts->rd.handle ? &ts->rd : NULL;
	__u64 then, obj, began;
	int err;

	if (!was)
		return 0;
	then = was->obj;
	began = was->handle;
	/* The same handle, and for read_end the mapping that begin returned. */
	if (mem && was->mem && was->mem != mem)
		began = 0;
	was->handle = 0;
	if (began != handle) {	/* not this read's begin */
		skip(ZM_C_MOVED_UNDER_READER);
		return 0;
	}
	obj = handle_obj(handle);
	err = !obj;
	if (err) {
		skip(ZM_C_MOVED_UNDER_READER);
		return 0;
	}
	run(ZM_C_MOVED_UNDER_READER);
	if (obj != then + PLANT(6))
		REPORT(ZM_C_MOVED_UNDER_READER, ZM_OP_READ_END,
		       (__u64)page_zspage(pfn_to_page(then >> OBJ_PFN_SHIFT)), 0,
		       then >> OBJ_PFN_SHIFT, obj >> OBJ_PFN_SHIFT, handle, obj, then);
	return obj;
}

/* header_backptr: the slot's header names the handle (read lock still held). */
SEC("fentry/zs_obj_read_end")
int BPF_PROG(ops_read_end, struct zs_pool *pool, unsigned long handle, size_t mem_len,
	     void *handle_mem)
{
	__u64 obj = reader_done(handle, num(handle_mem)), pfn, page, hdr, idx;
	struct size_class *c;
	struct zspage *z;
	__u32 size;
	int err;

	if (!obj)
		return 0;
	pfn = obj >> OBJ_PFN_SHIFT;
	idx = obj & OBJ_IDX_MASK;
	page = pfn_to_page(pfn);
	z = page_zspage(page);
	c = pool_class(pool, (obj >> OBJ_IDX_BITS) & OBJ_CLASS_MASK);
	if (!z || !c) {
		skip(ZM_C_HEADER_BACKPTR);
		return 0;
	}
	size = KREAD(c, size);
	if (KREAD_BF(z, huge))
		hdr = KREAD(KREAD(z, first_zpdesc), handle);
	else
		hdr = read_u64(pfn_addr(pfn) + ((idx * size) & (PAGE_SZ - 1)), &err);
	run(ZM_C_HEADER_BACKPTR);
	if (hdr != (handle | !PLANT(7)))
		REPORT(ZM_C_HEADER_BACKPTR, ZM_OP_READ_END, (__u64)z, size, pfn, 0, handle, hdr,
		       handle | 1);
	return 0;
}

SEC("fentry/zs_obj_read_sg_end")
int BPF_PROG(ops_sg_end, struct zs_pool *pool, unsigned long handle)
{
	reader_done(handle, 0);
	return 0;
}

SEC("fentry/zs_obj_write")
int BPF_PROG(ops_write_in)
{
	struct opst *st;

	if (!pm_traced())
		return 0;
	st = op_begin(ZM_OP_WRITE);
	if (st)
		st->gen = compact_gen;
	return 0;
}

/*
 * lost_write: the object's current location holds what was written.  The
 * word written is read from the caller's buffer here, not taken from the
 * entry's state: a state the kernel left behind (an earlier write whose
 * exit run it skipped) must not become this write's expectation.
 */
SEC("fexit/zs_obj_write")
int BPF_PROG(ops_write_out, struct zs_pool *pool, unsigned long handle, void *mem, size_t len)
{
	struct opst *st = op_get(ZM_OP_WRITE);
	__u64 obj, obj2, pfn, off, word, wrote = 0, gen, t0;
	struct size_class *c;
	struct zspage *z;
	int err, err2;

	if (!st)
		return 0;
	gen = st->gen;
	t0 = st->t0;
	op_end(st);
	if (len >= 8 && bpf_probe_read_kernel(&wrote, sizeof(wrote), mem)) {
		skip(ZM_C_LOST_WRITE);	/* the caller's buffer cannot be read */
		len = 0;
	}
	obj = handle_obj(handle);
	err = !obj;
	pfn = obj >> OBJ_PFN_SHIFT;
	z = err ? NULL : page_zspage(pfn_to_page(pfn));
	op_done(ZM_S_WRITE, ZM_STALL_WRITE, &win_zspage, (__u64)z, t0);
	c = pool_class(pool, (obj >> OBJ_IDX_BITS) & OBJ_CLASS_MASK);
	if (len < 8)
		return 0;	/* not checked: too short to compare */
	if (!z || !c) {
		skip(ZM_C_LOST_WRITE);
		return 0;
	}
	off = (obj & OBJ_IDX_MASK) * KREAD(c, size);
	off &= PAGE_SZ - 1;
	if (!KREAD_BF(z, huge))
		off += 8;
	if (off + 8 > PAGE_SZ) {
		skip(ZM_C_LOST_WRITE);
		return 0;
	}
	word = read_u64(pfn_addr(pfn) + off, &err);
	obj2 = handle_obj(handle);
	err2 = !obj2;
	if (err || err2 || obj2 != obj || compact_active || gen != compact_gen) {
		skip(ZM_C_LOST_WRITE);	/* moved meanwhile, or compaction ran */
		return 0;
	}
	run(ZM_C_LOST_WRITE);
	if (word != wrote + PLANT(8))
		REPORT(ZM_C_LOST_WRITE, ZM_OP_WRITE, (__u64)z, KREAD(c, size), pfn, 0,
		       handle, word, wrote);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
