/* SPDX-License-Identifier: MIT */
/*
 * Crossing the enclave boundary (ref §8.1-§8.4): EENTER, ERESUME, EEXIT and the asynchronous exit.
 *
 * The TCS is claimed by compare-and-swap on TCS.STATE as soon as the TCS itself has been checked,
 * and released if a later check fails: the values the leaf reads from the TCS (CSSA above all)
 * are then stable for the whole leaf, as on hardware where the leaf holds the TCS. A leaf that
 * loses the race still goes through the remaining checks (a #PF or #GP of an earlier step wins)
 * and answers #GP at step 10, "TCS busy". The TCS page is also held shared against ENCLS leaves
 * (EREMOVE, EWB take it exclusively) for the duration of the leaf, per ref §10.
 *
 * The exits cannot fault: they use the SSA pages cached when the entry validated them.
 */
#include <stddef.h>
#include <string.h>

#include "common/log.h"
#include "cpu/enclu_internal.h"

#define TCS_OFF_STATE 0
#define TCS_OFF_CSSA 24
#define TCS_OFF_AEP 40
#define TCS_ACTIVE 1

/* RFLAGS bits ERESUME takes from the SSA (ref §8.4); the rest stay as they were. */
#define ERESUME_RFLAGS_MASK                                                              \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
	 X86_EFLAGS_DF | X86_EFLAGS_OF | (1ULL << 14) /* NT */ | (1ULL << 16) /* RF */ | \
	 (1ULL << 18) /* AC */ | (1ULL << 21) /* ID */)
/* RFLAGS bits the synthetic AEX state clears (ref §8.3 step 4). */
#define AEX_RFLAGS_CLEAR                                                                 \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
	 X86_EFLAGS_OF | (1ULL << 16) /* RF */)

/*
 * TCS.FLAGS bits this processor accepts. AEX-Notify is not implemented (not advertised in CPUID,
 * not settable in ATTRIBUTES), so TCS.FLAGS.AEXNOTIFY is a reserved bit here, as bits 63:1 were
 * before AEX-Notify existed; that also makes ref §8.1 step 6 unreachable.
 */
#define TCS_FLAGS_SUPPORTED SGX_TCS_DBGOPTIN

/* The TCS fields an entry reads (a whole struct sgx_tcs is 4 KiB: too much for a signal stack). */
struct tcs_head {
	uint64_t flags, ossa;
	uint32_t cssa, nssa;
	uint64_t oentry, aep, ofsbase, ogsbase;
};

struct entry {
	uint64_t tcs_la;
	uint64_t tcs_index;
	uint8_t *tcs_kva;
	struct tcs_head tcs_head;
	sgx_paddr_t secs_pa;
	const struct sgx_secs *secs;
	struct sgx_secs_hidden *hidden;
	uint64_t ssa_la;
	struct enclu_ssa ssa;
	bool locked;
	bool claimed;
};

static uint64_t *tcs_state(uint8_t *tcs_kva)
{
	return (uint64_t *)(tcs_kva + TCS_OFF_STATE);
}

static uint32_t *tcs_cssa(uint8_t *tcs_kva)
{
	return (uint32_t *)(tcs_kva + TCS_OFF_CSSA);
}

/*
 * The TCS fields an entry uses, each read once. Another LP may own the TCS and change CSSA under
 * a leaf that is about to lose the race for it; atomic loads keep that a defined (and, for the
 * loser, irrelevant) read.
 */
static void read_tcs_head(const uint8_t *kva, struct tcs_head *t)
{
#define LOAD(field)                                                                            \
	__atomic_load_n((const __typeof__(t->field) *)(kva + offsetof(struct sgx_tcs, field)), \
			__ATOMIC_RELAXED)
	t->flags = LOAD(flags);
	t->ossa = LOAD(ossa);
	t->cssa = LOAD(cssa);
	t->nssa = LOAD(nssa);
	t->oentry = LOAD(oentry);
	t->aep = LOAD(aep);
	t->ofsbase = LOAD(ofsbase);
	t->ogsbase = LOAD(ogsbase);
#undef LOAD
}

static uint64_t secs_flags_acquire(const struct sgx_secs *secs)
{
	return __atomic_load_n(
		(const uint64_t *)((const uint8_t *)secs + offsetof(struct sgx_secs, attributes)),
		__ATOMIC_ACQUIRE);
}

static void entry_release(struct sgx_cpu *cpu, struct entry *e)
{
	if (e->claimed)
		__atomic_store_n(tcs_state(e->tcs_kva), 0, __ATOMIC_RELEASE);
	if (e->locked)
		sgx_page_unlock_shared(cpu, e->tcs_index);
	e->claimed = e->locked = false;
}

/*
 * Step 8: every page of the frame that holds the XSAVE area, then the page of GPRSGX, must be a
 * writable regular page of this enclave at its own address (#PF at that page otherwise).
 */
static int validate_ssa_page(struct sgx_cpu *cpu, const struct entry *e, uint64_t page,
			     uint8_t **kva, struct sgx_fault *fault)
{
	const unsigned int access = SGX_ACCESS_READ | SGX_ACCESS_WRITE;
	struct epcm_view v;
	uint64_t index;

	if (!enclu_canonical(page))
		return enclu_gp(fault);
	if (enclu_walk(cpu, page, access, true, &index, fault))
		return -1;
	epcm_read(cpu, index, &v);
	if (!epcm_allows(&v, e->secs_pa, page, SGX_SECINFO_R | SGX_SECINFO_W))
		return enclu_pf(fault, page, enclu_epcm_pf_code(access));
	*kva = cpu->frames[index].kva;
	return 0;
}

static int validate_ssa_frame(struct sgx_cpu *cpu, struct entry *e, uint32_t frame,
			      struct sgx_fault *fault)
{
	uint64_t frame_bytes = (uint64_t)e->secs->ssa_frame_size << SGX_PAGE_SHIFT, off, la;
	uint32_t xsave_size = sgx_xsave_size(cpu, e->secs->attributes.xfrm);
	uint32_t xsave_pages = (xsave_size + SGX_PAGE_SIZE - 1) >> SGX_PAGE_SHIFT;
	uint8_t *gpr_page;

	if (!e->secs->ssa_frame_size || xsave_pages > e->secs->ssa_frame_size)
		return enclu_gp(fault); /* ECREATE never lets such a SECS exist */
	if (xsave_pages > SGX_SSA_XSAVE_MAX_PAGES) {
		pr_warn_once_atomic("XSAVE area of %u bytes does not fit the emulator's SSA cache",
				    xsave_size);
		return enclu_gp(fault);
	}
	if (__builtin_mul_overflow((uint64_t)frame, frame_bytes, &off) ||
	    __builtin_add_overflow(off, e->tcs_head.ossa, &off) ||
	    __builtin_add_overflow(off, e->secs->base, &la) ||
	    __builtin_add_overflow(la, frame_bytes - 1, &off) || !enclu_canonical(la) ||
	    !enclu_canonical(off))
		return enclu_gp(fault);

	memset(&e->ssa, 0, sizeof(e->ssa));
	e->ssa_la = la;
	e->ssa.xsave_size = xsave_size;
	for (uint32_t i = 0; i < xsave_pages; i++)
		if (validate_ssa_page(cpu, e, la + ((uint64_t)i << SGX_PAGE_SHIFT),
				      &e->ssa.xsave[i], fault))
			return -1;
	if (validate_ssa_page(cpu, e, la + frame_bytes - SGX_PAGE_SIZE, &gpr_page, fault))
		return -1;
	e->ssa.gpr = (struct sgx_gprsgx *)(gpr_page + SGX_PAGE_SIZE - SGX_SSA_GPRS_SIZE);
	return 0;
}

/* Steps 2-7 of ref §8.1 (and §8.4), common to EENTER and ERESUME. */
static int check_tcs_and_secs(struct sgx_tlp *tlp, const struct sgx_regs *regs,
			      const struct sgx_xstate *xs, struct entry *e, struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	const struct tcs_head *tcs = &e->tcs_head;
	uint64_t expected = 0, xfrm;
	struct epcm_view v;
	int64_t secs_index;

	e->tcs_la = regs->rbx;
	if (e->tcs_la & (SGX_PAGE_SIZE - 1))
		return enclu_gp(fault);
	if (enclu_walk(cpu, e->tcs_la, SGX_ACCESS_READ, false, &e->tcs_index, fault))
		return -1;
	if (!enclu_canonical(regs->rcx)) /* AEP */
		return enclu_gp(fault);
	if (!sgx_page_trylock_shared(cpu, e->tcs_index))
		return enclu_gp(fault);
	e->locked = true;

	/* Step 3: the EPCM says this is a usable TCS at this address. */
	epcm_read(cpu, e->tcs_index, &v);
	if (!v.valid || (v.state & (SGX_EPCM_BLOCKED | SGX_EPCM_PENDING | SGX_EPCM_MODIFIED)) ||
	    v.linaddr != e->tcs_la || v.page_type != SGX_PAGE_TYPE_TCS)
		return enclu_pf(fault, e->tcs_la, X86_PF_PROT | X86_PF_SGX);
	secs_index = sgx_frame_index(cpu, v.secs);
	if (secs_index < 0)
		return enclu_gp(fault); /* a valid child always has its SECS resident */
	e->secs_pa = v.secs;
	e->secs = sgx_secs_page(cpu, (uint64_t)secs_index);
	e->hidden = sgx_secs_hidden(cpu, (uint64_t)secs_index);
	e->tcs_kva = cpu->frames[e->tcs_index].kva;

	/* Claim the TCS now; whether that worked is only reported at step 10. */
	e->claimed = __atomic_compare_exchange_n(tcs_state(e->tcs_kva), &expected, TCS_ACTIVE,
						 false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	read_tcs_head(e->tcs_kva, &e->tcs_head);

	/* Step 4 */
	if ((tcs->ossa | tcs->ofsbase | tcs->ogsbase) & (SGX_PAGE_SIZE - 1))
		return enclu_gp(fault);
	if (tcs->flags & ~TCS_FLAGS_SUPPORTED)
		return enclu_gp(fault);
	/*
	 * Step 5: initialized; a 64-bit process runs only 64-bit enclaves; XFRM within XCR0. INIT
	 * is read with acquire: EINIT publishes MRENCLAVE and the rest before it sets INIT.
	 */
	if (!(secs_flags_acquire(e->secs) & SGX_ATTR_INIT))
		return enclu_gp(fault);
	if (!(e->secs->attributes.flags & SGX_ATTR_MODE64BIT))
		return enclu_gp(fault);
	xfrm = e->secs->attributes.xfrm;
	if (xs->xcr0 ? (xfrm & ~xs->xcr0) != 0 : xfrm != 0x3)
		return enclu_gp(fault);
	return 0;
}

static int entry_checks(struct sgx_tlp *tlp, const struct sgx_regs *regs,
			const struct sgx_xstate *xs, unsigned int leaf, struct entry *e,
			struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	const struct tcs_head *tcs = &e->tcs_head;
	uint64_t base;
	uint32_t frame;

	if (check_tcs_and_secs(tlp, regs, xs, e, fault))
		return -1;
	base = e->secs->base;

	/* Step 7: EENTER uses frame CSSA, ERESUME pops frame CSSA - 1. */
	if (leaf == EENTER) {
		if (tcs->cssa >= tcs->nssa)
			return enclu_gp(fault);
		frame = tcs->cssa;
	} else {
		if (tcs->cssa == 0 || tcs->cssa - 1 >= tcs->nssa)
			return enclu_gp(fault);
		frame = tcs->cssa - 1;
	}
	/* Step 8 */
	if (validate_ssa_frame(cpu, e, frame, fault))
		return -1;
	/* Step 9: where execution continues, and the FS/GS bases, must be canonical. */
	if (leaf == EENTER) {
		if (!enclu_canonical(base + tcs->oentry) || !enclu_canonical(base + tcs->ofsbase) ||
		    !enclu_canonical(base + tcs->ogsbase))
			return enclu_gp(fault);
	} else {
		const struct sgx_gprsgx *g = e->ssa.gpr;

		if (!enclu_canonical(g->rip) || !enclu_canonical(g->fsbase) ||
		    !enclu_canonical(g->gsbase))
			return enclu_gp(fault);
	}
	/* Step 10: TCS busy. */
	if (!e->claimed)
		return enclu_gp(fault);
	/* ERESUME's XRSTOR of the frame: a frame XRSTOR would refuse is #GP, nothing loaded. */
	if (leaf == ERESUME && !enclu_ssa_xsave_valid(&e->ssa, e->secs->attributes.xfrm))
		return enclu_gp(fault);
	return 0;
}

/*
 * Commit point shared by both entries: count this LP in the enclave (tracking and lps_inside),
 * unless a page of the enclave is being removed right now (ref §10: EENTER/ERESUME #GP). Both
 * sides are sequentially consistent: sgx_track_enter raises lps_inside (seq_cst) before we read
 * `removing` (seq_cst), EREMOVE raises `removing` before it reads lps_inside; in the single total
 * order one of the two reads sees the other's write.
 */
static int enter_enclave(struct sgx_tlp *tlp, const struct entry *e, const struct sgx_regs *regs,
			 const struct sgx_xstate *xs, unsigned int leaf, struct sgx_fault *fault)
{
	sgx_cpu_pause(tlp->cpu, SGX_LEAF_CLASS_ENCLU, leaf,
		      sgx_frame_paddr(tlp->cpu, e->tcs_index));
	/*
	 * Other threads look at enclave_mode and base (the runtime's IPI scan, which must reach
	 * every LP that an ETRACK counted). Published before this LP is counted in the tracking:
	 * whoever sees the count (under the tracking lock) then sees the LP as inside too. Seen
	 * inside a little early is harmless: the IPI waits while this thread's handler runs, and
	 * the scan stops waiting for a thread that turns out not to be inside.
	 */
	__atomic_store_n(&tlp->base, e->secs->base, __ATOMIC_RELAXED);
	__atomic_store_n(&tlp->enclave_mode, true, __ATOMIC_RELEASE);
	sgx_track_enter(e->hidden, tlp);
	if (__atomic_load_n(&e->hidden->removing, __ATOMIC_SEQ_CST)) {
		sgx_track_exit(e->hidden, tlp);
		__atomic_store_n(&tlp->enclave_mode, false, __ATOMIC_RELEASE);
		return enclu_gp(fault);
	}

	tlp->secs = e->secs_pa;
	tlp->size = e->secs->size;
	tlp->tcs_la = e->tcs_la;
	tlp->tcs_pa = sgx_frame_paddr(tlp->cpu, e->tcs_index);
	tlp->aep = regs->rcx;
	tlp->saved_fsbase = regs->fsbase;
	tlp->saved_gsbase = regs->gsbase;
	tlp->host_xcr0 = xs->xcr0;
	tlp->xfrm = e->secs->attributes.xfrm;
	tlp->miscselect = e->secs->miscselect;
	tlp->dbgoptin = e->tcs_head.flags & SGX_TCS_DBGOPTIN;
	tlp->saved_tf = regs->rflags & X86_EFLAGS_TF;
	tlp->ssa_frame_la = e->ssa_la;
	memcpy(tlp->ssa_xsave_kva, e->ssa.xsave, sizeof(tlp->ssa_xsave_kva));
	tlp->ssa_gpr = e->ssa.gpr;
	tlp->ssa_xsave_size = e->ssa.xsave_size;

	__atomic_store_n((uint64_t *)(e->tcs_kva + TCS_OFF_AEP), regs->rcx, __ATOMIC_RELAXED);
	return 0;
}

/* The single-step flag on entry: an opt-out enclave runs with TF clear (saved for the exit). */
static uint64_t entry_rflags(const struct sgx_tlp *tlp, uint64_t rflags)
{
	return tlp->dbgoptin ? rflags : rflags & ~X86_EFLAGS_TF;
}

int sgx_eenter(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	       struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	struct entry e = { 0 };
	uint64_t base;

	if (entry_checks(tlp, regs, xs, EENTER, &e, fault) ||
	    enter_enclave(tlp, &e, regs, xs, EENTER, fault)) {
		entry_release(cpu, &e);
		return -1;
	}
	base = e.secs->base;
	/* URSP/URBP: where the AEX will put the untrusted stack back. */
	e.ssa.gpr->ursp = regs->rsp;
	e.ssa.gpr->urbp = regs->rbp;

	regs->rcx = regs->rip + ENCLU_INSN_LEN;
	regs->rax = e.tcs_head.cssa;
	regs->rip = base + e.tcs_head.oentry;
	regs->fsbase = base + e.tcs_head.ofsbase;
	regs->gsbase = base + e.tcs_head.ogsbase;
	regs->rflags = entry_rflags(tlp, regs->rflags);

	e.claimed = false; /* the TCS stays ACTIVE: it is ours until EEXIT or AEX */
	entry_release(cpu, &e);
	return 0;
}

int sgx_eresume(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
		struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	struct entry e = { 0 };
	const struct sgx_gprsgx *g;
	uint32_t cssa;

	if (entry_checks(tlp, regs, xs, ERESUME, &e, fault) ||
	    enter_enclave(tlp, &e, regs, xs, ERESUME, fault)) {
		entry_release(cpu, &e);
		return -1;
	}
	g = e.ssa.gpr;
	enclu_ssa_to_xstate(cpu, &e.ssa, tlp->xfrm, xs);

	regs->rax = g->rax;
	regs->rcx = g->rcx;
	regs->rdx = g->rdx;
	regs->rbx = g->rbx;
	regs->rsp = g->rsp;
	regs->rbp = g->rbp;
	regs->rsi = g->rsi;
	regs->rdi = g->rdi;
	regs->r8 = g->r8;
	regs->r9 = g->r9;
	regs->r10 = g->r10;
	regs->r11 = g->r11;
	regs->r12 = g->r12;
	regs->r13 = g->r13;
	regs->r14 = g->r14;
	regs->r15 = g->r15;
	regs->rip = g->rip;
	regs->fsbase = g->fsbase;
	regs->gsbase = g->gsbase;
	/* IF and IOPL stay (IF would come from the frame only at IOPL 3); VM is 0 in 64-bit mode. */
	regs->rflags = entry_rflags(tlp, (regs->rflags & ~ERESUME_RFLAGS_MASK) |
						 (g->rflags & ERESUME_RFLAGS_MASK));

	cssa = e.tcs_head.cssa - 1;
	__atomic_store_n(tcs_cssa(e.tcs_kva), cssa, __ATOMIC_RELAXED);
	e.claimed = false;
	entry_release(cpu, &e);
	return 0;
}

/* --- leaving ------------------------------------------------------------------------------- */

/*
 * The TCS of this LP, if it is still the page it entered with. It cannot be evicted while the LP
 * is inside (tracking waits for the LP), but SGX2 can trim and remove it under a running thread;
 * then the exit has no TCS to update, as hardware would write a page that is no longer a TCS.
 */
static uint8_t *current_tcs(struct sgx_tlp *tlp)
{
	int64_t index = sgx_frame_index(tlp->cpu, tlp->tcs_pa);
	struct epcm_view v;

	if (index < 0)
		return NULL;
	epcm_read(tlp->cpu, (uint64_t)index, &v);
	if (!v.valid || v.page_type != SGX_PAGE_TYPE_TCS || v.linaddr != tlp->tcs_la ||
	    v.secs != tlp->secs)
		return NULL;
	return tlp->cpu->frames[index].kva;
}

/*
 * Common tail of EEXIT and AEX: out of the enclave's accounting first, then the TCS is free, so
 * that an LP entering on it right away never finds this one still counted inside.
 */
static void leave_enclave(struct sgx_tlp *tlp, uint8_t *tcs_kva)
{
	int64_t secs_index = sgx_frame_index(tlp->cpu, tlp->secs);

	if (secs_index >= 0)
		sgx_track_exit(sgx_secs_hidden(tlp->cpu, (uint64_t)secs_index), tlp);
	__atomic_store_n(&tlp->enclave_mode, false, __ATOMIC_RELEASE);
	if (tcs_kva)
		__atomic_store_n(tcs_state(tcs_kva), 0, __ATOMIC_RELEASE);
}

static uint64_t tcs_aep(const struct sgx_tlp *tlp, const uint8_t *tcs_kva)
{
	uint64_t aep = tlp->aep;

	if (tcs_kva)
		aep = __atomic_load_n((const uint64_t *)(tcs_kva + TCS_OFF_AEP), __ATOMIC_RELAXED);
	return aep;
}

/* The single-step flag on exit: an opt-out enclave gets back the TF saved at entry. */
static uint64_t exit_rflags(const struct sgx_tlp *tlp, uint64_t rflags)
{
	return tlp->dbgoptin ? rflags : (rflags & ~X86_EFLAGS_TF) | tlp->saved_tf;
}

int sgx_eexit(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	      struct sgx_fault *fault)
{
	uint8_t *tcs_kva;

	if (!enclu_canonical(regs->rbx))
		return enclu_gp(fault);
	tcs_kva = current_tcs(tlp);
	regs->rip = regs->rbx;
	regs->rcx = tcs_aep(tlp, tcs_kva);
	regs->fsbase = tlp->saved_fsbase;
	regs->gsbase = tlp->saved_gsbase;
	regs->rflags = exit_rflags(tlp, regs->rflags);
	/* Every other register, RAX = EEXIT included, is the enclave's business (ref §8.2). */
	if (xs)
		enclu_note_outside_xfrm(tlp->cpu, xs, tlp->xfrm);
	leave_enclave(tlp, tcs_kva);
	return 0;
}

/* --- AEX ----------------------------------------------------------------------------------- */

static bool vector_always_reported(uint8_t vector)
{
	switch (vector) {
	case X86_TRAP_DE:
	case X86_TRAP_DB:
	case X86_TRAP_BP:
	case X86_TRAP_BR:
	case X86_TRAP_UD:
	case X86_TRAP_MF:
	case X86_TRAP_AC:
	case X86_TRAP_XM:
		return true;
	default:
		return false;
	}
}

static bool vector_has_exinfo(uint8_t vector)
{
	return vector == X86_TRAP_GP || vector == X86_TRAP_PF;
}

/* EXITINFO (ref §1.5): which events the enclave learns about, and how. */
static uint32_t aex_exitinfo(const struct sgx_exception *ex, uint32_t miscselect)
{
	uint32_t type;

	if (!ex->reported)
		return 0;
	if (!vector_always_reported(ex->vector) &&
	    !(vector_has_exinfo(ex->vector) && (miscselect & SGX_MISC_EXINFO)))
		return 0;
	/* INT3 is a software exception; the caller may say so explicitly for others (INTO). */
	type = ex->type ? ex->type
			: (ex->vector == X86_TRAP_BP ? SGX_EXITINFO_TYPE_SW : SGX_EXITINFO_TYPE_HW);
	return ex->vector | (type << SGX_EXITINFO_TYPE_SHIFT) | SGX_EXITINFO_VALID;
}

static void aex_save_gprs(const struct sgx_tlp *tlp, const struct sgx_regs *regs,
			  const struct sgx_exception *ex)
{
	struct sgx_gprsgx *g = tlp->ssa_gpr;

	g->rax = regs->rax;
	g->rcx = regs->rcx;
	g->rdx = regs->rdx;
	g->rbx = regs->rbx;
	g->rsp = regs->rsp;
	g->rbp = regs->rbp;
	g->rsi = regs->rsi;
	g->rdi = regs->rdi;
	g->r8 = regs->r8;
	g->r9 = regs->r9;
	g->r10 = regs->r10;
	g->r11 = regs->r11;
	g->r12 = regs->r12;
	g->r13 = regs->r13;
	g->r14 = regs->r14;
	g->r15 = regs->r15;
	g->rflags = regs->rflags & ~X86_EFLAGS_TF;
	g->rip = regs->rip;
	g->fsbase = regs->fsbase;
	g->gsbase = regs->gsbase;
	g->exitinfo = aex_exitinfo(ex, tlp->miscselect);

	/* EXINFO sits right below GPRSGX; written only for a reported #PF/#GP. */
	if ((g->exitinfo & SGX_EXITINFO_VALID) && vector_has_exinfo(ex->vector)) {
		struct sgx_exinfo info = { 0 };

		if (ex->vector == X86_TRAP_PF) {
			info.maddr = ex->addr; /* the full address: only the OS's copy is masked */
			info.errcd = ex->error_code | X86_PF_USER;
		} else {
			info.errcd = ex->error_code;
		}
		memcpy((uint8_t *)g - sizeof(info), &info, sizeof(info));
	}
}

static void aex_synthetic_state(const struct sgx_tlp *tlp, struct sgx_regs *regs, uint64_t aep)
{
	const struct sgx_gprsgx *g = tlp->ssa_gpr;

	regs->rax = ERESUME;
	regs->rbx = tlp->tcs_la;
	regs->rcx = aep;
	regs->rip = aep;
	regs->rdx = regs->rsi = regs->rdi = 0;
	regs->r8 = regs->r9 = regs->r10 = regs->r11 = 0;
	regs->r12 = regs->r13 = regs->r14 = regs->r15 = 0;
	regs->rsp = g->ursp;
	regs->rbp = g->urbp;
	regs->rflags = exit_rflags(tlp, regs->rflags & ~AEX_RFLAGS_CLEAR);
	regs->fsbase = tlp->saved_fsbase;
	regs->gsbase = tlp->saved_gsbase;
}

void sgx_aex(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	     const struct sgx_exception *ex)
{
	struct enclu_ssa ssa;
	uint8_t *tcs_kva;
	uint32_t cssa;

	if (!tlp->enclave_mode)
		return;
	sgx_stat_inc(&tlp->cpu->stats.aex);
	tcs_kva = current_tcs(tlp);

	/* Steps 1-3: the interrupted state into the current SSA frame. */
	aex_save_gprs(tlp, regs, ex);
	memcpy(ssa.xsave, tlp->ssa_xsave_kva, sizeof(ssa.xsave));
	ssa.gpr = tlp->ssa_gpr;
	ssa.xsave_size = tlp->ssa_xsave_size;
	enclu_xsave_to_ssa(tlp->cpu, xs, tlp->xfrm, &ssa);
	enclu_note_outside_xfrm(tlp->cpu, xs, tlp->xfrm);

	/* Step 4: the synthetic state the host sees. */
	aex_synthetic_state(tlp, regs, tcs_aep(tlp, tcs_kva));
	enclu_xstate_synthetic(tlp->cpu, xs, tlp->xfrm, ex->reported ? ex->vector : 0xFF);

	/* Step 5 */
	if (tcs_kva) {
		cssa = __atomic_load_n(tcs_cssa(tcs_kva), __ATOMIC_RELAXED);
		__atomic_store_n(tcs_cssa(tcs_kva), cssa + 1, __ATOMIC_RELAXED);
	}
	leave_enclave(tlp, tcs_kva);
}
