/* SPDX-License-Identifier: MIT */
/*
 * One page out of the EPC and back in: EWB into a VA slot and the backing store, ETRACK, ELDU (the
 * kernel's __sgx_encl_ewb, sgx_encl_eldu and the VA-slot bookkeeping around them). Which pages go
 * out, and when, is reclaim.c's business; these run under the enclave lock.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "kernel/encl.h"

/* --- VA slots ------------------------------------------------------------------------------ */

/*
 * Slots are taken from the first VA page, which moves to the tail when it fills up; a page that
 * gets a slot back moves to the head. So the pages with free slots are always ahead of the full
 * ones, and the first page has a free slot whenever any page has (page_cnt never exceeds the
 * slots: sgx_encl_grow adds a VA page for every 512 pages).
 */
struct sgx_encl_va_page *sgx_encl_take_va_slot(struct sgx_encl *encl, unsigned int *offset)
{
	struct sgx_encl_va_page *va_page = TAILQ_FIRST(&encl->va_pages);

	if (!va_page)
		return NULL;
	*offset = sgx_alloc_va_slot(va_page);
	if (*offset >= SGX_VA_SLOT_COUNT * 8)
		return NULL;
	if (sgx_va_page_full(va_page)) {
		TAILQ_REMOVE(&encl->va_pages, va_page, list);
		TAILQ_INSERT_TAIL(&encl->va_pages, va_page, list);
	}
	return va_page;
}

void sgx_encl_give_va_slot(struct sgx_encl *encl, struct sgx_encl_va_page *va_page,
			   unsigned int offset)
{
	sgx_free_va_slot(va_page, offset);
	TAILQ_REMOVE(&encl->va_pages, va_page, list);
	TAILQ_INSERT_HEAD(&encl->va_pages, va_page, list);
}

/* --- write-back ---------------------------------------------------------------------------- */

int __sgx_encl_ewb(struct sgx_encl *encl, struct sgx_epc_page *epc_page,
		   struct sgx_backing *backing, struct sgx_encl_va_page *va_page,
		   unsigned int va_offset)
{
	struct sgx_platform *platform = encl->platform;
	/* The blob goes to the store with pwrite, never through its mapping (backing.h). */
	uint8_t blob[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pageinfo pginfo __attribute__((aligned(32))) = {
		.addr = 0,
		.contents = (uint64_t)(uintptr_t)blob,
		.metadata = (uint64_t)(uintptr_t)backing->pcmd,
		.secs = 0,
	};
	struct sgx_lp *lp;
	int ret, err;

	if (sgx_inject_hit(platform, EWB, epc_page->paddr, &ret))
		return ret;
	lp = sgx_get_lp(platform);
	ret = __ewb(lp, &pginfo, epc_page->paddr, va_page->epc_page->paddr + va_offset);
	sgx_put_lp(lp);
	/*
	 * The page is out of the EPC now, whatever happens to its blob. The space was allocated
	 * before EWB, so only an I/O error can refuse it; then the page is lost as if the store
	 * had been tampered with: its ELDU fails the MAC and the access gets SIGBUS.
	 */
	if (!ret && (err = sgx_backing_write_contents(encl, backing, blob)) &&
	    sgx_platform_warn_first(platform, SGX_WARN_BACKING))
		pr_warn("cannot write the backing store of enclave %llu: %s",
			(unsigned long long)encl->id, strerror(-err));
	return ret;
}

int sgx_encl_etrack(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_lp *lp;
	int ret;

	if (!sgx_inject_hit(platform, ETRACK, encl->secs.epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __etrack(lp, encl->secs.epc_page->paddr);
		sgx_put_lp(lp);
	}
	/*
	 * The previous tracking cycle is still open when a thread that was inside at the last
	 * ETRACK has not left yet (it could not be kicked: stopped). The kernel WARNs on anything
	 * but success; here that is a known, counted state, and the write-back is retried later.
	 */
	if (ret == SGX_PREV_TRK_INCMPL)
		__atomic_add_fetch(&platform->reclaimer.stats.etrack_incomplete, 1,
				   __ATOMIC_RELAXED);
	else if (ret && sgx_encls_failed(platform, ret) &&
		 sgx_platform_warn_first(platform, SGX_WARN_ETRACK))
		sgx_log(SGX_LOG_WARNING, "ETRACK returned %d (0x%x)", ret, ret);
	return ret;
}

/* --- reload -------------------------------------------------------------------------------- */

static int __sgx_encl_eldu(struct sgx_encl_page *encl_page, struct sgx_epc_page *epc_page,
			   struct sgx_epc_page *secs_page)
{
	struct sgx_encl *encl = encl_page->encl;
	struct sgx_platform *platform = encl->platform;
	unsigned int va_offset = encl_page->desc & SGX_ENCL_PAGE_VA_OFFSET_MASK;
	uint64_t page_index = secs_page ? sgx_encl_page_index(encl, sgx_encl_page_addr(encl_page))
					: sgx_encl_secs_index(encl);
	uint8_t blob[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pageinfo pginfo __attribute__((aligned(32)));
	struct sgx_backing b;
	struct sgx_lp *lp;
	int ret;

	ret = sgx_encl_lookup_backing(encl, page_index, &b);
	if (ret)
		return ret;
	/* A blob that cannot be read is a blob ELDU refuses: the zeros fail the MAC. */
	if (sgx_backing_read_contents(encl, &b, blob))
		memset(blob, 0, sizeof(blob));

	pginfo.addr = sgx_encl_page_addr(encl_page); /* 0 for the SECS */
	pginfo.contents = (uint64_t)(uintptr_t)blob;
	pginfo.metadata = (uint64_t)(uintptr_t)b.pcmd;
	pginfo.secs = secs_page ? secs_page->paddr : 0;

	if (!sgx_inject_hit(platform, ELDU, epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __eldu(lp, &pginfo, epc_page->paddr,
			     encl_page->va_page->epc_page->paddr + va_offset);
		sgx_put_lp(lp);
	}
	if (ret) {
		if (sgx_encls_failed(platform, ret) &&
		    sgx_platform_warn_first(platform, SGX_WARN_ELDU))
			sgx_log(SGX_LOG_WARNING, "ELDU returned %d (0x%x)", ret, ret);
		ret = -EFAULT;
	}
	/* Loaded or refused, the blob is used up: a refused one is never offered again. */
	sgx_encl_release_backing(encl, &b);
	return ret;
}

struct sgx_epc_page *sgx_encl_eldu(struct sgx_encl_page *encl_page,
				   struct sgx_epc_page *secs_page)
{
	struct sgx_encl *encl = encl_page->encl;
	struct sgx_platform *platform = encl->platform;
	unsigned int va_offset = encl_page->desc & SGX_ENCL_PAGE_VA_OFFSET_MASK;
	struct sgx_reclaim_stats *stats = &platform->reclaimer.stats;
	struct sgx_epc_page *epc_page;
	int ret;

	/*
	 * A page whose write-back failed for good has no version anywhere. The kernel would ELDU
	 * from whatever va_page last held; here it is simply gone: SIGBUS.
	 */
	if (!encl_page->va_page) {
		__atomic_add_fetch(&stats->eldu_failures, 1, __ATOMIC_RELAXED);
		return ERR_PTR(-EFAULT);
	}

	epc_page = sgx_alloc_epc_page(platform, encl_page,
				      secs_page ? SGX_EPC_OWNER_ENCL_PAGE : SGX_EPC_OWNER_SECS,
				      false);
	if (IS_ERR(epc_page))
		return epc_page;

	ret = __sgx_encl_eldu(encl_page, epc_page, secs_page);
	if (ret) {
		__atomic_add_fetch(&stats->eldu_failures, 1, __ATOMIC_RELAXED);
		/* EREMOVE of a page ELDU did not make valid succeeds; then it is free again. */
		sgx_encl_free_epc_page(platform, epc_page);
		return ERR_PTR(ret);
	}

	sgx_encl_give_va_slot(encl, encl_page->va_page, va_offset);
	encl_page->desc &= ~SGX_ENCL_PAGE_VA_OFFSET_MASK;
	encl_page->epc_page = epc_page;
	__atomic_add_fetch(secs_page ? &stats->loaded : &stats->secs_loaded, 1, __ATOMIC_RELAXED);
	return epc_page;
}
