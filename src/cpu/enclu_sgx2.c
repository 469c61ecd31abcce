/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 leaves an enclave runs on its own pages (ref §8.6): EACCEPT, EACCEPTCOPY and EMODPE.
 *
 * They race the kernel's EAUG/EMODPR/EMODT on the same page for real (an enclave thread accepts
 * while the kernel restricts), so each takes the target page's leaf lock exclusively, as an SGX2
 * holder, with a try-lock: a page held by another leaf is #GP here, and EMODPR/EMODT answer
 * SGX_EPC_PAGE_CONFLICT when they find the page held by an SGX2 leaf (ref §10). The EPCM entry is read again
 * once the lock is held, since it may have changed between the first look and the lock.
 */
#include <stddef.h>
#include <string.h>

#include "cpu/enclu_internal.h"

#define SECINFO_ALIGN 64

static bool secinfo_reserved_clear(const struct sgx_secinfo *si)
{
	if (si->flags & SGX_SECINFO_RESERVED_MASK)
		return false;
	for (size_t i = 0; i < sizeof(si->reserved); i++)
		if (si->reserved[i])
			return false;
	return true;
}

/*
 * The SECINFO operand: 64-aligned in ELRANGE (#GP), then a readable regular page of this enclave
 * (#PF), then read. EACCEPTCOPY splits these steps across its other operands, so they are
 * separate.
 */
static int secinfo_walk(struct sgx_tlp *tlp, uint64_t la, uint64_t *index, struct sgx_fault *fault)
{
	return enclu_walk(tlp->cpu, la, SGX_ACCESS_READ, true, index, fault);
}

static void secinfo_read(struct sgx_tlp *tlp, uint64_t la, uint64_t index, struct sgx_secinfo *si)
{
	memcpy(si, enclu_kva(tlp->cpu, index, la), sizeof(*si));
}

static void epcm_clear_state(struct sgx_cpu *cpu, uint64_t index, uint8_t bits)
{
	__atomic_fetch_and(&sgx_epcm(cpu, index)->state, (uint8_t)~bits, __ATOMIC_RELEASE);
}

static struct sgx_secs_hidden *current_hidden(struct sgx_tlp *tlp)
{
	return sgx_secs_hidden(tlp->cpu, enclu_secs_index(tlp));
}

/* --- EACCEPT ------------------------------------------------------------------------------- */

/* The SECINFO combinations EACCEPT understands (ref §8.6 step 2). */
static bool eaccept_combination_legal(uint64_t flags)
{
	unsigned int type = sgx_secinfo_page_type(flags);
	bool pending = flags & SGX_SECINFO_PENDING, modified = flags & SGX_SECINFO_MODIFIED,
	     pr = flags & SGX_SECINFO_PR;

	if (type == SGX_PAGE_TYPE_REG)
		return (pr || pending) && !modified;
	if (type == SGX_PAGE_TYPE_TCS || type == SGX_PAGE_TYPE_TRIM)
		return !pending && modified && !pr;
	return false;
}

static bool eaccept_target_ok(const struct epcm_view *v, const struct sgx_tlp *tlp)
{
	return v->valid && !(v->state & SGX_EPCM_BLOCKED) &&
	       (v->page_type == SGX_PAGE_TYPE_REG || v->page_type == SGX_PAGE_TYPE_TCS ||
		v->page_type == SGX_PAGE_TYPE_TRIM) &&
	       v->secs == tlp->secs;
}

/* EPCM and SECINFO disagree on what is being accepted (PR is deliberately not compared). */
static bool eaccept_mismatch(const struct epcm_view *v, uint64_t page, uint64_t flags)
{
	const uint8_t state_bits = SGX_EPCM_PENDING | SGX_EPCM_MODIFIED;

	return v->linaddr != page || (v->state & state_bits) != (flags & state_bits) ||
	       v->rwx != (flags & SGX_SECINFO_PERMISSION_MASK) ||
	       v->page_type != sgx_secinfo_page_type(flags);
}

/*
 * A page that EMODT turned into a TCS must hold a TCS that EADD would have accepted. Read in place
 * (the page is ours under the lock): a 4 KiB copy has no business on the signal stack.
 */
static bool eaccept_tcs_ok(const uint8_t *kva)
{
	uint64_t state, flags, aep;
	uint32_t cssa, nssa;

	for (size_t i = offsetof(struct sgx_tcs, reserved); i < SGX_PAGE_SIZE; i++)
		if (kva[i])
			return false;
	memcpy(&state, kva + offsetof(struct sgx_tcs, state), sizeof(state));
	memcpy(&flags, kva + offsetof(struct sgx_tcs, flags), sizeof(flags));
	memcpy(&aep, kva + offsetof(struct sgx_tcs, aep), sizeof(aep));
	memcpy(&cssa, kva + offsetof(struct sgx_tcs, cssa), sizeof(cssa));
	memcpy(&nssa, kva + offsetof(struct sgx_tcs, nssa), sizeof(nssa));
	/* DBGOPTIN must be 0; AEX-Notify is not implemented, so its flag is reserved here. */
	return !flags && cssa < nssa && !aep && !state;
}

int sgx_eaccept(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	uint64_t si_la = regs->rbx, page = regs->rcx, si_index, index;
	struct sgx_secinfo si;
	struct epcm_view v;
	int code = 0;

	/* Step 1: the SECINFO, then the target's address. */
	if ((si_la & (SECINFO_ALIGN - 1)) || !enclu_in_elrange(tlp, si_la))
		return enclu_gp(fault);
	if (secinfo_walk(tlp, si_la, &si_index, fault) ||
	    enclu_epcm_check(tlp, si_la, si_index, SGX_ACCESS_READ, fault))
		return -1;
	secinfo_read(tlp, si_la, si_index, &si);
	if (!secinfo_reserved_clear(&si))
		return enclu_gp(fault);
	if ((page & (SGX_PAGE_SIZE - 1)) || !enclu_in_elrange(tlp, page))
		return enclu_gp(fault);
	if (enclu_walk(cpu, page, SGX_ACCESS_READ, false, &index, fault))
		return -1;
	/* Step 2 */
	if (!eaccept_combination_legal(si.flags))
		return enclu_gp(fault);
	/* Step 3: a page of this enclave that can be accepted at all, and ours to change. */
	epcm_read(cpu, index, &v);
	if (!eaccept_target_ok(&v, tlp))
		return enclu_pf(fault, page, X86_PF_PROT | X86_PF_SGX);
	if (!sgx_page_trylock_excl_sgx2(cpu, index))
		return enclu_gp(fault);
	epcm_read(cpu, index, &v);
	if (!eaccept_target_ok(&v, tlp)) {
		sgx_page_unlock_excl(cpu, index);
		return enclu_pf(fault, page, X86_PF_PROT | X86_PF_SGX);
	}
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLU, EACCEPT, sgx_frame_paddr(cpu, index));

	/* Steps 4-6 */
	if (eaccept_mismatch(&v, page, si.flags)) {
		code = SGX_PAGE_ATTRIBUTES_MISMATCH;
	} else if ((v.state & (SGX_EPCM_PR | SGX_EPCM_MODIFIED)) &&
		   !sgx_track_done(current_hidden(tlp), v.bepoch)) {
		code = SGX_NOT_TRACKED;
	} else if (v.page_type == SGX_PAGE_TYPE_TCS && !eaccept_tcs_ok(cpu->frames[index].kva)) {
		sgx_page_unlock_excl(cpu, index);
		return enclu_gp(fault);
	} else {
		/* Step 7 */
		epcm_clear_state(cpu, index, SGX_EPCM_PENDING | SGX_EPCM_MODIFIED | SGX_EPCM_PR);
	}
	sgx_page_unlock_excl(cpu, index);
	enclu_status(regs, code);
	return 0;
}

/* --- EACCEPTCOPY --------------------------------------------------------------------------- */

/* The destination must still be what EAUG made it: a pending RW regular page of this enclave. */
static bool eacceptcopy_dest_ok(const struct epcm_view *v, const struct sgx_tlp *tlp, uint64_t page)
{
	return v->valid && (v->state & SGX_EPCM_PENDING) && !(v->state & SGX_EPCM_MODIFIED) &&
	       v->page_type == SGX_PAGE_TYPE_REG && v->secs == tlp->secs && v->linaddr == page &&
	       v->rwx == (SGX_SECINFO_R | SGX_SECINFO_W);
}

int sgx_eacceptcopy(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	uint64_t si_la = regs->rbx, dst = regs->rcx, src = regs->rdx;
	uint64_t si_index, dst_index, src_index;
	struct sgx_secinfo si;
	struct epcm_view v;
	uint64_t perm;

	if ((si_la & (SECINFO_ALIGN - 1)) || (dst & (SGX_PAGE_SIZE - 1)) ||
	    (src & (SGX_PAGE_SIZE - 1)))
		return enclu_gp(fault);
	if (!enclu_in_elrange(tlp, si_la) || !enclu_in_elrange(tlp, dst) ||
	    !enclu_in_elrange(tlp, src))
		return enclu_gp(fault);
	if (secinfo_walk(tlp, si_la, &si_index, fault) ||
	    enclu_walk(cpu, dst, SGX_ACCESS_WRITE, true, &dst_index, fault) ||
	    enclu_walk(cpu, src, SGX_ACCESS_READ, true, &src_index, fault))
		return -1;
	if (enclu_epcm_check(tlp, si_la, si_index, SGX_ACCESS_READ, fault))
		return -1;
	secinfo_read(tlp, si_la, si_index, &si);
	perm = si.flags & SGX_SECINFO_PERMISSION_MASK;
	if (!secinfo_reserved_clear(&si) || ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R)) ||
	    sgx_secinfo_page_type(si.flags) != SGX_PAGE_TYPE_REG)
		return enclu_gp(fault);
	if (enclu_epcm_check(tlp, src, src_index, SGX_ACCESS_READ, fault))
		return -1;

	/*
	 * A blocked destination gets no new translation, which is a fault, not a status [model:
	 * ref §8.6 lists only the status cases].
	 */
	epcm_read(cpu, dst_index, &v);
	if (v.valid && v.secs == tlp->secs && (v.state & SGX_EPCM_BLOCKED))
		return enclu_pf(fault, dst, X86_PF_PROT | X86_PF_WRITE | X86_PF_SGX);
	if (!v.valid || !(v.state & SGX_EPCM_PENDING) || (v.state & SGX_EPCM_MODIFIED) ||
	    v.page_type != SGX_PAGE_TYPE_REG || v.secs != tlp->secs) {
		enclu_status(regs, SGX_PAGE_ATTRIBUTES_MISMATCH);
		return 0;
	}
	if (!sgx_page_trylock_excl_sgx2(cpu, dst_index))
		return enclu_gp(fault);
	epcm_read(cpu, dst_index, &v);
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLU, EACCEPTCOPY, sgx_frame_paddr(cpu, dst_index));
	if (!eacceptcopy_dest_ok(&v, tlp, dst)) {
		sgx_page_unlock_excl(cpu, dst_index);
		enclu_status(regs, SGX_PAGE_ATTRIBUTES_MISMATCH);
		return 0;
	}
	memcpy(cpu->frames[dst_index].kva, cpu->frames[src_index].kva, SGX_PAGE_SIZE);
	__atomic_store_n(&sgx_epcm(cpu, dst_index)->rwx, (uint8_t)perm, __ATOMIC_RELAXED);
	epcm_clear_state(cpu, dst_index, SGX_EPCM_PENDING);
	sgx_page_unlock_excl(cpu, dst_index);
	enclu_status(regs, 0);
	return 0;
}

/* --- EMODPE -------------------------------------------------------------------------------- */

static bool emodpe_target_ok(const struct epcm_view *v, const struct sgx_tlp *tlp, uint64_t page)
{
	return v->valid &&
	       !(v->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED | SGX_EPCM_BLOCKED)) &&
	       v->page_type == SGX_PAGE_TYPE_REG && v->secs == tlp->secs && v->linaddr == page;
}

int sgx_emodpe(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	uint64_t si_la = regs->rbx, page = regs->rcx, si_index, index, perm;
	struct sgx_secinfo si;
	struct epcm_view v;

	if ((si_la & (SECINFO_ALIGN - 1)) || (page & (SGX_PAGE_SIZE - 1)))
		return enclu_gp(fault);
	if (!enclu_in_elrange(tlp, si_la) || !enclu_in_elrange(tlp, page))
		return enclu_gp(fault);
	if (secinfo_walk(tlp, si_la, &si_index, fault) ||
	    enclu_walk(cpu, page, SGX_ACCESS_READ, false, &index, fault))
		return -1;
	if (enclu_epcm_check(tlp, si_la, si_index, SGX_ACCESS_READ, fault))
		return -1;
	secinfo_read(tlp, si_la, si_index, &si);
	if (!secinfo_reserved_clear(&si))
		return enclu_gp(fault);
	epcm_read(cpu, index, &v);
	if (!emodpe_target_ok(&v, tlp, page))
		return enclu_pf(fault, page, X86_PF_PROT | X86_PF_SGX);
	if (!sgx_page_trylock_excl_sgx2(cpu, index))
		return enclu_gp(fault);
	epcm_read(cpu, index, &v);
	if (!emodpe_target_ok(&v, tlp, page)) {
		sgx_page_unlock_excl(cpu, index);
		return enclu_pf(fault, page, X86_PF_PROT | X86_PF_SGX);
	}
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLU, EMODPE, sgx_frame_paddr(cpu, index));
	/* W without R is never a valid EPCM state (the SDM pseudocode lost this "THEN #GP"). */
	perm = si.flags & SGX_SECINFO_PERMISSION_MASK;
	if (!(v.rwx & SGX_SECINFO_R) && !(perm & SGX_SECINFO_R) && (perm & SGX_SECINFO_W)) {
		sgx_page_unlock_excl(cpu, index);
		return enclu_gp(fault);
	}
	__atomic_fetch_or(&sgx_epcm(cpu, index)->rwx, (uint8_t)perm, __ATOMIC_RELEASE);
	sgx_page_unlock_excl(cpu, index);
	return 0;
}
