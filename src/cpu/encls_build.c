/* SPDX-License-Identifier: MIT */
/*
 * Building and tearing down an enclave: ECREATE, EADD, EEXTEND, EREMOVE (ref §3, in the order of
 * checks given there; the numbers in comments are the ref's steps).
 *
 * Locks (ref §10): the target page of ECREATE/EADD/EREMOVE is taken exclusively, EEXTEND's page
 * shared; a leaf that uses a SECS holds the SECS page shared, which is what makes EREMOVE or EWB
 * of that SECS answer #GP meanwhile; EADD/EEXTEND/EINIT serialize on the SECS's measurement lock.
 * All are try-locks: a conflict is an answer, never a wait.
 */
#include <string.h>

#include "common/uaccess.h"
#include "cpu/cpu_internal.h"

#define ALIGNED(x, a) (((x) & ((a)-1)) == 0)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool canonical(uint64_t addr)
{
	return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

/* --- ECREATE --------------------------------------------------------------------------------- */

/* Step 7: every check on the copied SECS; true if it may become an enclave. */
static bool secs_valid(const struct sgx_cpu *cpu, const struct sgx_secs *secs)
{
	uint64_t xfrm = secs->attributes.xfrm, flags = secs->attributes.flags;
	bool mode64 = flags & SGX_ATTR_MODE64BIT;
	uint64_t min_frame, max_size_log2;

	if ((xfrm & 0x3) != 0x3 || !sgx_xfrm_legal(cpu, xfrm))
		return false;
	/*
	 * The SDM writes this test as !(CPUID.(12H,0).EBX & MISCSELECT), which would refuse 0 and
	 * accept any value sharing one supported bit. The intent (and hardware) is: no bit outside
	 * the supported set (ref §11).
	 */
	if (secs->miscselect & ~SGX_MISC_SUPPORTED_MASK)
		return false;
	min_frame = sgx_xsave_size(cpu, xfrm) + SGX_SSA_GPRS_SIZE +
		    ((secs->miscselect & SGX_MISC_EXINFO) ? SGX_SSA_MISC_EXINFO_SIZE : 0);
	if ((uint64_t)secs->ssa_frame_size * SGX_PAGE_SIZE < min_frame)
		return false;
	if (mode64 && !canonical(secs->base))
		return false;
	if (!mode64 && (secs->base >> 32))
		return false;
	max_size_log2 = mode64 ? SGX_MAX_ENCLAVE_SIZE_64_LOG2 : SGX_MAX_ENCLAVE_SIZE_32_LOG2;
	if (secs->size >= (1ULL << max_size_log2))
		return false;
	if (secs->size < 2 * SGX_PAGE_SIZE || (secs->size & (secs->size - 1)))
		return false;
	if (secs->base & (secs->size - 1))
		return false;
	if (flags & ~SGX_ATTR_SUPPORTED_MASK) /* INIT included: only EINIT sets it */
		return false;
	if (!all_zero(secs->reserved1, sizeof(secs->reserved1)) ||
	    !all_zero(secs->reserved2, sizeof(secs->reserved2)) ||
	    !all_zero(secs->reserved3, sizeof(secs->reserved3)) ||
	    !all_zero(secs->reserved4, sizeof(secs->reserved4)))
		return false;
	if (!(flags & SGX_ATTR_KSS) &&
	    (!all_zero(secs->config_id, sizeof(secs->config_id)) || secs->config_svn))
		return false;
	return true;
}

int sgx_ecreate(struct sgx_lp *lp, uint64_t pageinfo_addr, sgx_paddr_t secs_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_pageinfo pginfo;
	struct sgx_secinfo secinfo;
	struct sgx_secs_hidden *hidden;
	struct sgx_epcm_entry *e;
	struct sgx_secs *secs;
	uint64_t index;
	uint8_t *kva;
	int ret;

	/* 1 */
	if (!ALIGNED(pageinfo_addr, 32) || !ALIGNED(secs_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, secs_pa, &index);
	if (ret)
		return ret;
	/* 2, 3 */
	ret = sgx_encls_read(lp, &pginfo, pageinfo_addr, sizeof(pginfo));
	if (ret)
		return ret;
	if (!ALIGNED(pginfo.contents, SGX_PAGE_SIZE) || !ALIGNED(pginfo.metadata, 64))
		return sgx_encls_gp(lp);
	if (pginfo.addr || pginfo.secs)
		return sgx_encls_gp(lp);
	/* 4: RWX are not checked; the EPCM's are forced to 0. */
	ret = sgx_encls_read(lp, &secinfo, pginfo.metadata, sizeof(secinfo));
	if (ret)
		return ret;
	if (sgx_secinfo_reserved_set(&secinfo) ||
	    sgx_secinfo_page_type(secinfo.flags) != SGX_PAGE_TYPE_SECS)
		return sgx_encls_gp(lp);
	/* 5 */
	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (e->valid) {
		ret = sgx_encls_epcm_pf(lp, secs_pa, true);
		goto unlock;
	}
	/* 6: the copy is the SECS from here on. */
	kva = sgx_frame_attach_pool(cpu, index);
	ret = sgx_encls_read(lp, kva, pginfo.contents, SGX_PAGE_SIZE);
	if (ret)
		goto detach;
	secs = (struct sgx_secs *)kva;
	/* 7 */
	if (!secs_valid(cpu, secs)) {
		ret = sgx_encls_gp(lp);
		goto detach;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, ECREATE, secs_pa);

	/* 8 */
	memset(secs->mrenclave, 0, sizeof(secs->mrenclave));
	memset(secs->mrsigner, 0, sizeof(secs->mrsigner));
	secs->isv_prod_id = 0;
	secs->isv_svn = 0;
	hidden = sgx_secs_hidden(cpu, index);
	memset(hidden, 0, sizeof(*hidden));
	hidden->eid = __atomic_fetch_add(&cpu->next_eid, 1, __ATOMIC_RELAXED);
	hidden->enclavecontext = secs_pa;
	sgx_measure_init(&hidden->measurement);
	sgx_measure_ecreate(&hidden->measurement, secs->ssa_frame_size, secs->size);

	e->page_type = SGX_PAGE_TYPE_SECS;
	e->rwx = 0;
	e->state = 0;
	e->secs = 0;
	e->linaddr = 0;
	e->bepoch = 0;
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
	sgx_page_unlock_excl(cpu, index);
	return 0;

detach:
	sgx_frame_detach(cpu, index);
unlock:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}

/* --- EADD ------------------------------------------------------------------------------------ */

/* Step 7 for a TCS: the reserved area is zero; a 32-bit enclave's limits end in 0xFFF. */
static bool tcs_valid(const struct sgx_tcs *tcs, bool mode64)
{
	if (!all_zero(tcs->reserved, sizeof(tcs->reserved)))
		return false;
	if (!mode64 && ((tcs->fslimit & 0xFFF) != 0xFFF || (tcs->gslimit & 0xFFF) != 0xFFF))
		return false;
	return true;
}

int sgx_eadd(struct sgx_lp *lp, uint64_t pageinfo_addr, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_pageinfo pginfo;
	struct sgx_secinfo secinfo;
	struct sgx_frame *secs_frame;
	struct sgx_secs_hidden *hidden;
	struct sgx_epcm_entry *e, *se;
	struct sgx_secs *secs;
	uint64_t index, secs_index, flags;
	unsigned int type;
	bool have_contents;
	uint8_t *contents;
	int ret;

	/* 1 */
	if (!ALIGNED(pageinfo_addr, 32) || !ALIGNED(page_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page_pa, &index);
	if (ret)
		return ret;
	/* 2 */
	ret = sgx_encls_read(lp, &pginfo, pageinfo_addr, sizeof(pginfo));
	if (ret)
		return ret;
	if (!ALIGNED(pginfo.contents, SGX_PAGE_SIZE) || !ALIGNED(pginfo.secs, SGX_PAGE_SIZE) ||
	    !ALIGNED(pginfo.metadata, 64) || !ALIGNED(pginfo.addr, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, pginfo.secs, &secs_index);
	if (ret)
		return ret;
	/*
	 * 3 and 6 in one system call when both operands can be read (always, for a sane caller);
	 * otherwise each is read again where the SDM reads it, so that the right one faults in the
	 * right order. Reading the source early is not observable: nothing is committed until 12.
	 */
	lp->eadd_buf_frame = 0;
	contents = lp->eadd_buf;
	have_contents = !sgx_encls_read_vec(lp,
		(const struct sgx_uiov[]){ { &secinfo, pginfo.metadata, sizeof(secinfo) },
					   { contents, pginfo.contents, SGX_PAGE_SIZE } },
		2);
	/* 3 */
	if (!have_contents) {
		ret = sgx_encls_read(lp, &secinfo, pginfo.metadata, sizeof(secinfo));
		if (ret)
			return ret;
	}
	type = sgx_secinfo_page_type(secinfo.flags);
	if (sgx_secinfo_reserved_set(&secinfo) ||
	    (type != SGX_PAGE_TYPE_REG && type != SGX_PAGE_TYPE_TCS))
		return sgx_encls_gp(lp);
	/* 4 */
	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (e->valid) {
		ret = sgx_encls_epcm_pf(lp, page_pa, true);
		goto unlock_page;
	}
	/* 5 */
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
	/* 6 */
	if (!have_contents) {
		ret = sgx_encls_read(lp, contents, pginfo.contents, SGX_PAGE_SIZE);
		if (ret)
			goto unlock_secs;
	}
	/* 7 */
	flags = secinfo.flags;
	if (type == SGX_PAGE_TYPE_TCS && !tcs_valid((const struct sgx_tcs *)contents,
						    secs->attributes.flags & SGX_ATTR_MODE64BIT)) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	if (type == SGX_PAGE_TYPE_REG && (flags & SGX_SECINFO_W) && !(flags & SGX_SECINFO_R)) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	/* 8: no check that LINADDR is unused (the SDM has none). */
	if (pginfo.addr < secs->base || pginfo.addr - secs->base >= secs->size) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	/* 9 */
	secs_frame = &cpu->frames[secs_index];
	if (!sgx_trylock(&secs_frame->measure_lock)) {
		ret = sgx_encls_gp(lp);
		goto unlock_secs;
	}
	if (secs->attributes.flags & SGX_ATTR_INIT) {
		ret = sgx_encls_gp(lp);
		goto unlock_measure;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EADD, page_pa);

	/* 10 */
	if (type == SGX_PAGE_TYPE_TCS) {
		struct sgx_tcs *tcs = (struct sgx_tcs *)contents;

		flags &= ~SGX_SECINFO_PERMISSION_MASK;
		tcs->flags &= ~SGX_TCS_DBGOPTIN;
		tcs->cssa = 0;
		tcs->aep = 0;
		tcs->state = 0;
	}
	if (!sgx_frame_attach_child(cpu, index, secs_index, pginfo.addr) ||
	    sgx_frame_write(cpu, index, contents)) {
		/* No host memory for the enclave's storage: the closest architectural answer. */
		sgx_frame_detach(cpu, index);
		ret = sgx_encls_gp(lp);
		goto unlock_measure;
	}
	lp->eadd_buf_frame = index + 1;
	lp->eadd_buf_gen = __atomic_load_n(&cpu->frames[index].gen, __ATOMIC_ACQUIRE);
	/* 11 */
	hidden = sgx_secs_hidden(cpu, secs_index);
	sgx_measure_eadd(&hidden->measurement, pginfo.addr - secs->base, flags);
	/* 12 */
	e->page_type = (uint8_t)type;
	e->rwx = (uint8_t)(flags & SGX_SECINFO_PERMISSION_MASK);
	e->state = 0;
	e->secs = pginfo.secs;
	e->linaddr = pginfo.addr;
	e->bepoch = 0;
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&hidden->chldcnt, 1, __ATOMIC_RELAXED);
	ret = 0;

unlock_measure:
	sgx_unlock(&secs_frame->measure_lock);
unlock_secs:
	sgx_page_unlock_shared(cpu, secs_index);
unlock_page:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}

/* --- EEXTEND --------------------------------------------------------------------------------- */

int sgx_eextend(struct sgx_lp *lp, sgx_paddr_t secs_pa, sgx_paddr_t chunk_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	uint64_t secs_index, index, offset;
	struct sgx_frame *secs_frame;
	const uint8_t *page;
	struct sgx_epcm_entry *e;
	struct sgx_secs *secs;
	int ret;

	if (!ALIGNED(secs_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	/* The SDM's "does resolve within an EPC" is a typo for "does not" (ref §11). */
	ret = sgx_encls_epc(lp, secs_pa, &secs_index);
	if (ret)
		return ret;
	if (!ALIGNED(chunk_pa, SGX_EEXTEND_BLOCK_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, chunk_pa, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_shared(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (!e->valid || (e->page_type != SGX_PAGE_TYPE_REG && e->page_type != SGX_PAGE_TYPE_TCS)) {
		ret = sgx_encls_epcm_pf(lp, chunk_pa, false);
		goto unlock_page;
	}
	if (e->secs != secs_pa) {
		ret = sgx_encls_gp(lp);
		goto unlock_page;
	}
	/* The page is a valid child of this SECS, so the SECS is valid and resident. */
	secs_frame = &cpu->frames[secs_index];
	if (!sgx_trylock(&secs_frame->measure_lock)) {
		ret = sgx_encls_gp(lp);
		goto unlock_page;
	}
	secs = sgx_secs_page(cpu, secs_index);
	if (secs->attributes.flags & SGX_ATTR_INIT) {
		ret = sgx_encls_gp(lp);
		goto unlock_measure;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EEXTEND, chunk_pa & ~(SGX_PAGE_SIZE - 1));

	/* The page as this LP's last EADD wrote it, if it still is that; else the storage. */
	if (lp->eadd_buf_frame == index + 1 &&
	    lp->eadd_buf_gen == __atomic_load_n(&cpu->frames[index].gen, __ATOMIC_ACQUIRE))
		page = lp->eadd_buf;
	else
		page = sgx_frame_kva(cpu, index);
	offset = e->linaddr - secs->base + (chunk_pa & (SGX_PAGE_SIZE - 1));
	sgx_measure_eextend(&sgx_secs_hidden(cpu, secs_index)->measurement, offset,
			    page + (chunk_pa & (SGX_PAGE_SIZE - 1)));
	ret = 0;

unlock_measure:
	sgx_unlock(&secs_frame->measure_lock);
unlock_page:
	sgx_page_unlock_shared(cpu, index);
	return ret;
}

/* --- EREMOVE --------------------------------------------------------------------------------- */

static void invalidate(struct sgx_cpu *cpu, uint64_t index)
{
	__atomic_store_n(&sgx_epcm(cpu, index)->valid, 0, __ATOMIC_RELEASE);
	sgx_frame_detach(cpu, index);
}

static int eremove_child(struct sgx_lp *lp, uint64_t index, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_epcm_entry *e = sgx_epcm(cpu, index);
	uint64_t secs_index = sgx_child_secs_index(cpu, e);
	struct sgx_secs_hidden *hidden = sgx_secs_hidden(cpu, secs_index);
	bool trimmed = e->page_type == SGX_PAGE_TYPE_TRIM && !(e->state & SGX_EPCM_MODIFIED);
	int ret = 0;

	/*
	 * A trimmed page that the enclave has accepted (TRIM, MODIFIED = 0) can go while threads are
	 * inside: that is the point of EMODT(TRIM) + EACCEPT. The SDM jumps to DONE for it without
	 * the child-count update below; a SECS could then never be removed, so that path is taken
	 * to be the "skip the ENCLAVE_ACT check" it is meant as (ref §11). With no check to make
	 * atomic against entries, entries are not held off either: threads keep entering while the
	 * enclave's runtime has its trimmed pages removed.
	 */
	if (!trimmed) {
		/* Entries from now on #GP; then look for LPs inside (see sgx_secs_hidden.removing). */
		__atomic_add_fetch(&hidden->removing, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&hidden->lps_inside, __ATOMIC_SEQ_CST)) {
			ret = sgx_encls_status(lp, SGX_ENCLAVE_ACT, false);
			goto out;
		}
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, page_pa);

	invalidate(cpu, index);
	if (!trimmed)
		__atomic_sub_fetch(&hidden->removing, 1, __ATOMIC_SEQ_CST);
	/* Last: once the count drops, the SECS may go (EREMOVE/EWB of it) and hidden with it. */
	__atomic_sub_fetch(&hidden->chldcnt, 1, __ATOMIC_RELEASE);
	return 0;
out:
	__atomic_sub_fetch(&hidden->removing, 1, __ATOMIC_SEQ_CST);
	return ret;
}

int sgx_eremove(struct sgx_lp *lp, sgx_paddr_t page_pa)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_epcm_entry *e;
	uint64_t index;
	int ret;

	if (!ALIGNED(page_pa, SGX_PAGE_SIZE))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page_pa, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (!e->valid) {
		ret = 0;
		goto unlock;
	}
	switch (e->page_type) {
	case SGX_PAGE_TYPE_VA:
		sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, page_pa);
		invalidate(cpu, index);
		ret = 0;
		break;
	case SGX_PAGE_TYPE_SECS: {
		struct sgx_secs_hidden *hidden = sgx_secs_hidden(cpu, index);

		if (__atomic_load_n(&hidden->chldcnt, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&hidden->virtchildcnt, __ATOMIC_ACQUIRE)) {
			ret = sgx_encls_status(lp, SGX_CHILD_PRESENT, false);
			break;
		}
		sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, page_pa);
		invalidate(cpu, index);
		ret = 0;
		break;
	}
	default:
		ret = eremove_child(lp, index, page_pa);
		break;
	}
unlock:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}
