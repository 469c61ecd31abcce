/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 ENCLS leaves (ref §3, §8.7): EAUG adds a PENDING page to an initialized enclave, EMODPR
 * restricts a page's permissions and EMODT changes its type; the enclave completes each with
 * EACCEPT once tracking says no LP can hold a stale translation (EMODPR/EMODT stamp BEPOCH).
 *
 * Conflicts: EAUG is answered like an SGX1 leaf (#GP). EMODPR and EMODT take their page as SGX2
 * holders and tell an SGX1 holder (#GP for EMODPR, SGX_EPC_PAGE_CONFLICT for EMODT) from an SGX2
 * holder such as an enclave's EACCEPT on the same page (SGX_EPC_PAGE_CONFLICT for both).
 */
#include <string.h>

#include "cpu/cpu_internal.h"

#define ALIGNED(x, a) (((x) & ((a)-1)) == 0)

/* --- EAUG ------------------------------------------------------------------------------------ */

int sgx_eaug(struct sgx_lp *lp, uint64_t pageinfo_addr, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_pageinfo pginfo;
	struct sgx_epcm_entry *e, *se;
	struct sgx_secs *secs;
	uint64_t index, secs_index;
	uint8_t *kva;
	int ret;

	if (!ALIGNED(pageinfo_addr, 32) || !ALIGNED(page_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page_pa, &index);
	if (ret)
		return ret;
	ret = sgx_encls_read(lp, &pginfo, pageinfo_addr, sizeof(pginfo));
	if (ret)
		return ret;
	if (!ALIGNED(pginfo.secs, SGX_PAGE_SIZE) || !ALIGNED(pginfo.addr, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	/* No source page, and no SECINFO: that is only for CET shadow-stack pages. */
	if (pginfo.contents || pginfo.metadata)
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, pginfo.secs, &secs_index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (e->valid) {
		ret = sgx_encls_epcm_pf(lp, page_pa, true);
		goto unlock_page;
	}
	if (!sgx_page_trylock_shared(cpu, secs_index)) {
		ret = sgx_encls_gp(lp);
		goto unlock_page;
	}
	se = sgx_epcm(cpu, secs_index);
	if (!se->valid || se->page_type != SGX_PAGE_TYPE_SECS) {
		ret = sgx_encls_epcm_pf(lp, pginfo.secs, false);
		goto unlock_secs;
	}
	secs = sgx_secs_page(cpu, secs_index);
	if (!(secs->attributes.flags & SGX_ATTR_INIT)) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	if (pginfo.addr < secs->base || pginfo.addr - secs->base >= secs->size) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	kva = sgx_frame_attach_child(cpu, index, secs_index, pginfo.addr);
	if (!kva) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EAUG, page_pa);

	sgx_frame_clear(cpu, index);
	e->page_type = SGX_PAGE_TYPE_REG;
	e->rwx = SGX_SECINFO_R | SGX_SECINFO_W;
	e->state = SGX_EPCM_PENDING;
	e->secs = pginfo.secs;
	e->linaddr = pginfo.addr;
	e->bepoch = 0;
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sgx_secs_hidden(cpu, secs_index)->chldcnt, 1, __ATOMIC_RELAXED);
	ret = 0;

unlock_secs:
	sgx_page_unlock_shared(cpu, secs_index);
unlock_page:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}

/* --- EMODPR, EMODT --------------------------------------------------------------------------- */

/*
 * Takes the page for an SGX2 leaf. On conflict, answers per holder: an SGX1 holder gets
 * sgx1_answer (#GP or the conflict code); an SGX2 holder gets SGX_EPC_PAGE_CONFLICT, but only
 * after the VALID check that the SDM places between the two tests. Returns 0 with the page held.
 */
static int sgx2_take_page(struct sgx_lp *lp, uint64_t index, sgx_paddr_t page_pa,
			  bool sgx1_conflict_is_gp)
{
	struct sgx_cpu *cpu = lp->cpu;

	if (sgx_page_trylock_excl_sgx2(cpu, index)) {
		if (sgx_epcm(cpu, index)->valid)
			return 0;
		sgx_page_unlock_excl(cpu, index);
		return sgx_encls_epcm_pf(lp, page_pa, false);
	}
	if (!sgx_page_held_by_sgx2(cpu, index)) {
		if (sgx1_conflict_is_gp)
			return sgx_encls_gp(lp);
		return sgx_encls_status(lp, SGX_EPC_PAGE_CONFLICT, false);
	}
	if (!__atomic_load_n(&sgx_epcm(cpu, index)->valid, __ATOMIC_ACQUIRE))
		return sgx_encls_epcm_pf(lp, page_pa, false);
	return sgx_encls_status(lp, SGX_EPC_PAGE_CONFLICT, false);
}

/* The owning enclave is initialized (checked last by both leaves). */
static bool owner_initialized(struct sgx_cpu *cpu, const struct sgx_epcm_entry *e)
{
	return sgx_secs_page(cpu, sgx_child_secs_index(cpu, e))->attributes.flags & SGX_ATTR_INIT;
}

static uint64_t owner_epoch(struct sgx_cpu *cpu, const struct sgx_epcm_entry *e)
{
	return sgx_track_epoch(sgx_secs_hidden(cpu, sgx_child_secs_index(cpu, e)));
}

int sgx_emodpr(struct sgx_lp *lp, uint64_t secinfo_addr, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_secinfo secinfo;
	struct sgx_epcm_entry *e;
	uint64_t index, perm;
	int ret;

	if (!ALIGNED(secinfo_addr, 64) || !ALIGNED(page_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page_pa, &index);
	if (ret)
		return ret;
	ret = sgx_encls_read(lp, &secinfo, secinfo_addr, sizeof(secinfo));
	if (ret)
		return ret;
	/* The page type field is not looked at: EMODPR changes permissions only. */
	perm = secinfo.flags & SGX_SECINFO_PERMISSION_MASK;
	if (sgx_secinfo_reserved_set(&secinfo) ||
	    ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R)))
		return sgx_encls_gp(lp);
	ret = sgx2_take_page(lp, index, page_pa, true);
	if (ret)
		return ret;
	e = sgx_epcm(cpu, index);
	if (e->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED)) {
		ret = sgx_encls_status(lp, SGX_PAGE_NOT_MODIFIABLE, false);
		goto unlock;
	}
	if (e->page_type != SGX_PAGE_TYPE_REG) {
		ret = sgx_encls_epcm_pf(lp, page_pa, false);
		goto unlock;
	}
	if (!owner_initialized(cpu, e)) {
		ret = sgx_encls_gp(lp);
		goto unlock;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EMODPR, page_pa);

	__atomic_store_n(&e->rwx, e->rwx & (uint8_t)perm, __ATOMIC_RELAXED);
	/*
	 * The stamp is taken after the restriction is visible (a seq_cst read-modify-write is a full
	 * barrier): a stamp from before it could let tracking, and so EACCEPT, complete too early.
	 */
	__atomic_fetch_or(&e->state, SGX_EPCM_PR, __ATOMIC_SEQ_CST);
	e->bepoch = owner_epoch(cpu, e);
	ret = 0;
unlock:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}

/* REG -> TCS, REG -> TRIM, TCS -> TRIM (SS pages do not exist without CET). */
static bool type_change_allowed(unsigned int from, unsigned int to)
{
	return from == SGX_PAGE_TYPE_REG || (from == SGX_PAGE_TYPE_TCS && to == SGX_PAGE_TYPE_TRIM);
}

int sgx_emodt(struct sgx_lp *lp, uint64_t secinfo_addr, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_secinfo secinfo;
	struct sgx_epcm_entry *e;
	unsigned int type;
	uint64_t index;
	int ret;

	if (!ALIGNED(secinfo_addr, 64) || !ALIGNED(page_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page_pa, &index);
	if (ret)
		return ret;
	ret = sgx_encls_read(lp, &secinfo, secinfo_addr, sizeof(secinfo));
	if (ret)
		return ret;
	/* RWX are not looked at: the new type's EPCM permissions are 0. */
	type = sgx_secinfo_page_type(secinfo.flags);
	if (sgx_secinfo_reserved_set(&secinfo) ||
	    (type != SGX_PAGE_TYPE_TCS && type != SGX_PAGE_TYPE_TRIM))
		return sgx_encls_gp(lp);
	ret = sgx2_take_page(lp, index, page_pa, false);
	if (ret)
		return ret;
	e = sgx_epcm(cpu, index);
	if (!type_change_allowed(e->page_type, type)) {
		ret = sgx_encls_epcm_pf(lp, page_pa, false);
		goto unlock;
	}
	if (e->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED)) {
		ret = sgx_encls_status(lp, SGX_PAGE_NOT_MODIFIABLE, false);
		goto unlock;
	}
	if (!owner_initialized(cpu, e)) {
		ret = sgx_encls_gp(lp);
		goto unlock;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EMODT, page_pa);

	__atomic_store_n(&e->rwx, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->page_type, (uint8_t)type, __ATOMIC_RELAXED);
	/* As EMODPR: the stamp after the change is visible (seq_cst exchange, a full barrier). */
	__atomic_exchange_n(&e->state, (uint8_t)((e->state & ~SGX_EPCM_PR) | SGX_EPCM_MODIFIED),
			    __ATOMIC_SEQ_CST);
	e->bepoch = owner_epoch(cpu, e);
	ret = 0;
unlock:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}
