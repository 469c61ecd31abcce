/* SPDX-License-Identifier: MIT */
/*
 * Enclaves: lifetime and teardown (ref §4.9), VA pages (ref §4.2), the mapping rules (ref §1.1)
 * and the fault handler (ref §4.7) — the kernel's encl.c.
 */
#include "kernel/encl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/encls.h"

struct sgx_encl *sgx_encl_alloc(struct sgx_platform *platform)
{
	struct sgx_encl *encl = calloc(1, sizeof(*encl));

	if (!encl)
		return NULL;
	encl->platform = platform;
	pthread_mutex_init(&encl->lock, NULL);
	sgx_pagemap_init(&encl->page_array);
	TAILQ_INIT(&encl->va_pages);
	encl->refcount = 1;
	encl->secs.type = SGX_PAGE_TYPE_SECS;

	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	encl->id = ++platform->next_encl_id;
	LIST_INSERT_HEAD(&platform->encl_list, encl, link);
	platform->nr_encls++;
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	return encl;
}

void sgx_encl_get(struct sgx_encl *encl)
{
	__atomic_fetch_add(&encl->refcount, 1, __ATOMIC_RELAXED);
}

void sgx_encl_put(struct sgx_encl *encl)
{
	if (__atomic_sub_fetch(&encl->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		sgx_encl_release(encl);
}

static void sgx_encl_unlink(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;

	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_REMOVE(encl, link);
	platform->nr_encls--;
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
}

static void sgx_encl_free(struct sgx_encl *encl)
{
	sgx_encl_backing_free(encl);
	if (encl->slice)
		sgx_slice_put(encl->slice);
	sgx_pagemap_destroy(&encl->page_array);
	pthread_mutex_destroy(&encl->lock);
	free(encl);
}

void sgx_encl_pt_clear_page(struct sgx_encl *encl, struct sgx_encl_page *page)
{
	struct sgx_cpu *cpu = encl->platform->cpu;
	uint64_t addr = sgx_encl_page_addr(page);
	unsigned int prot;
	sgx_paddr_t frame;

	/*
	 * The CPU's page table is the process's: another enclave's mapping may sit at this address
	 * now (before EINIT an enclave may be mapped anywhere). Only our own entry is ours to clear.
	 */
	if (page->epc_page && sgx_pt_lookup(cpu, addr, &frame, &prot) &&
	    frame == page->epc_page->paddr)
		sgx_pt_clear(cpu, addr);
}

/*
 * sgx_encl_release(): the last reference is gone. EREMOVE every resident page, then the SECS,
 * then the VA pages (the last EPC pages the enclave holds), then check for leaks.
 */
void sgx_encl_release(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_encl_va_page *va_page;
	struct sgx_encl_page *entry;
	size_t pos = 0;

	sgx_encl_unlink(encl);

	while ((entry = sgx_pagemap_next(&encl->page_array, &pos, NULL))) {
		if (entry->epc_page) {
			/* The reclaimer holds an isolated page and its entry: it frees them. */
			if (sgx_unmark_page_reclaimable(platform, entry->epc_page))
				continue;
			sgx_encl_pt_clear_page(encl, entry);
			sgx_encl_free_epc_page(platform, entry->epc_page);
			encl->secs_child_cnt--;
			entry->epc_page = NULL;
		}
		sgx_pagemap_erase(&encl->page_array, entry->desc >> SGX_PAGE_SHIFT);
		free(entry);
	}

	if (!encl->secs_child_cnt && encl->secs.epc_page) {
		sgx_encl_free_epc_page(platform, encl->secs.epc_page);
		encl->secs.epc_page = NULL;
	}

	while ((va_page = TAILQ_FIRST(&encl->va_pages))) {
		TAILQ_REMOVE(&encl->va_pages, va_page, list);
		sgx_encl_free_epc_page(platform, va_page->epc_page);
		free(va_page);
	}

	/* The kernel's WARN_ON_ONCEs: the accounting says something is still in the EPC. */
	if (encl->secs_child_cnt && sgx_platform_warn_first(platform, SGX_WARN_ENCL_CHILD_CNT))
		sgx_log(SGX_LOG_WARNING,
			"WARNING: at arch/x86/kernel/cpu/sgx/encl.c sgx_encl_release: "
			"WARN_ON_ONCE(encl->secs_child_cnt) (%u)",
			encl->secs_child_cnt);
	if (encl->secs.epc_page) {
		if (sgx_platform_warn_first(platform, SGX_WARN_ENCL_SECS))
			sgx_log(SGX_LOG_WARNING,
				"WARNING: at arch/x86/kernel/cpu/sgx/encl.c sgx_encl_release: "
				"WARN_ON_ONCE(encl->secs.epc_page)");
		/* The kernel simply never frees it; account for it as leaked. */
		sgx_epc_page_leak(platform, encl->secs.epc_page);
		encl->secs.epc_page = NULL;
	}
	sgx_encl_free(encl);
}

void sgx_encl_abandon(struct sgx_encl *encl)
{
	struct sgx_encl_va_page *va_page;
	struct sgx_encl_page *entry;
	size_t pos = 0;

	sgx_encl_unlink(encl);
	while ((entry = sgx_pagemap_next(&encl->page_array, &pos, NULL))) {
		sgx_pagemap_erase(&encl->page_array, entry->desc >> SGX_PAGE_SHIFT);
		free(entry);
	}
	while ((va_page = TAILQ_FIRST(&encl->va_pages))) {
		TAILQ_REMOVE(&encl->va_pages, va_page, list);
		free(va_page);
	}
	sgx_encl_free(encl);
}

/* --- VA pages ----------------------------------------------------------------------------- */

struct sgx_epc_page *sgx_alloc_va_page(struct sgx_platform *platform,
				       struct sgx_encl_va_page *owner, bool reclaim)
{
	struct sgx_epc_page *epc_page;
	struct sgx_lp *lp;
	int ret;

	epc_page = sgx_alloc_epc_page(platform, owner, SGX_EPC_OWNER_VA, reclaim);
	if (IS_ERR(epc_page))
		return epc_page;

	if (!sgx_inject_hit(platform, EPA, epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __epa(lp, epc_page->paddr);
		sgx_put_lp(lp);
	}
	if (ret) {
		if (sgx_platform_warn_first(platform, SGX_WARN_EPA))
			sgx_log(SGX_LOG_WARNING, "EPA returned %d (0x%x)", ret, ret);
		sgx_encl_free_epc_page(platform, epc_page);
		return ERR_PTR(-EFAULT);
	}
	return epc_page;
}

unsigned int sgx_alloc_va_slot(struct sgx_encl_va_page *va_page)
{
	for (unsigned int w = 0; w < SGX_VA_SLOT_COUNT / 64; w++) {
		if (~va_page->slots[w]) {
			unsigned int bit = (unsigned int)__builtin_ctzll(~va_page->slots[w]);

			va_page->slots[w] |= 1ULL << bit;
			return (w * 64 + bit) << 3;
		}
	}
	return SGX_VA_SLOT_COUNT << 3;
}

void sgx_free_va_slot(struct sgx_encl_va_page *va_page, unsigned int offset)
{
	unsigned int slot = offset >> 3;

	va_page->slots[slot / 64] &= ~(1ULL << (slot % 64));
}

bool sgx_va_slot_used(const struct sgx_encl_va_page *va_page, unsigned int offset)
{
	unsigned int slot = offset >> 3;

	return va_page->slots[slot / 64] & (1ULL << (slot % 64));
}

bool sgx_va_page_full(struct sgx_encl_va_page *va_page)
{
	for (unsigned int w = 0; w < SGX_VA_SLOT_COUNT / 64; w++) {
		if (~va_page->slots[w])
			return false;
	}
	return true;
}

struct sgx_encl_va_page *sgx_encl_grow(struct sgx_encl *encl, bool reclaim)
{
	struct sgx_encl_va_page *va_page = NULL;
	struct sgx_epc_page *epc_page;

	/* One VA slot per page the enclave can have swapped out, the SECS included. */
	if (!(encl->page_cnt % SGX_VA_SLOT_COUNT)) {
		va_page = calloc(1, sizeof(*va_page));
		if (!va_page)
			return ERR_PTR(-ENOMEM);
		epc_page = sgx_alloc_va_page(encl->platform, va_page, reclaim);
		if (IS_ERR(epc_page)) {
			free(va_page);
			return ERR_CAST(epc_page);
		}
		va_page->epc_page = epc_page;
	}
	encl->page_cnt++;
	return va_page;
}

void sgx_encl_shrink(struct sgx_encl *encl, struct sgx_encl_va_page *va_page)
{
	encl->page_cnt--;
	if (va_page) {
		sgx_encl_free_epc_page(encl->platform, va_page->epc_page);
		if (va_page->list.tqe_prev)
			TAILQ_REMOVE(&encl->va_pages, va_page, list);
		free(va_page);
	}
}

/* --- page records ------------------------------------------------------------------------ */

struct sgx_encl_page *sgx_encl_page_alloc(struct sgx_encl *encl, uint64_t offset,
					  uint64_t secinfo_flags)
{
	struct sgx_encl_page *encl_page = calloc(1, sizeof(*encl_page));
	uint8_t prot = 0;

	if (!encl_page)
		return ERR_PTR(-ENOMEM);
	encl_page->desc = encl->base + offset;
	encl_page->encl = encl;

	if (secinfo_flags & SGX_SECINFO_R)
		prot |= SGX_VM_READ;
	if (secinfo_flags & SGX_SECINFO_W)
		prot |= SGX_VM_WRITE;
	if (secinfo_flags & SGX_SECINFO_X)
		prot |= SGX_VM_EXEC;
	/*
	 * A TCS's SECINFO permissions are always zero (the CPU forces them), but the CPU needs read
	 * and write access to it.
	 */
	if ((secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK) == SGX_SECINFO_TCS)
		prot |= SGX_VM_READ | SGX_VM_WRITE;
	encl_page->vm_max_prot_bits = prot;
	return encl_page;
}

/* --- pages in a range ----------------------------------------------------------------------- */

/*
 * Probes address by address when the range is small, else walks the page array (the range may be
 * a 64 GiB ELRANGE with a handful of pages).
 */
bool sgx_encl_for_each_page_in(struct sgx_encl *encl, uint64_t start, uint64_t end,
				      sgx_encl_page_fn fn, void *arg)
{
	uint64_t first = start >> SGX_PAGE_SHIFT;
	uint64_t last = (end - 1) >> SGX_PAGE_SHIFT;
	struct sgx_encl_page *page;

	if (end <= start)
		return true;
	if (last - first < 2 * sgx_pagemap_count(&encl->page_array) + 16) {
		for (uint64_t pfn = first; pfn <= last; pfn++) {
			page = sgx_pagemap_load(&encl->page_array, pfn);
			if (page && !fn(page, arg))
				return false;
		}
		return true;
	}
	for (size_t pos = 0; (page = sgx_pagemap_next(&encl->page_array, &pos, NULL));) {
		uint64_t pfn = page->desc >> SGX_PAGE_SHIFT;

		if (pfn >= first && pfn <= last && !fn(page, arg))
			return false;
	}
	return true;
}

/* --- mappings ----------------------------------------------------------------------------- */

static bool sgx_page_allows(struct sgx_encl_page *page, void *arg)
{
	unsigned long vm_prot_bits = *(unsigned long *)arg;

	return !(~page->vm_max_prot_bits & vm_prot_bits);
}

int sgx_encl_may_map(struct sgx_encl *encl, uint64_t start, uint64_t end, unsigned long vm_flags)
{
	unsigned long vm_prot_bits = vm_flags & SGX_VM_ACCESS_FLAGS;
	int persona;
	bool ok;

	/* Disallow mapping outside the enclave's address range once it is initialized. */
	if (sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED) &&
	    (start < encl->base || end > encl->base + encl->size))
		return -EACCES;

	/*
	 * READ_IMPLIES_EXEC tasks get PROT_EXEC added to every PROT_READ mapping, which would
	 * conflict with the enclave pages' permissions.
	 */
	persona = personality(0xffffffff);
	if (persona != -1 && (persona & READ_IMPLIES_EXEC))
		return -EACCES;

	sgx_encl_lock(encl);
	ok = sgx_encl_for_each_page_in(encl, start, end, sgx_page_allows, &vm_prot_bits);
	sgx_encl_unlock(encl);
	return ok ? 0 : -EACCES;
}

static bool sgx_page_pt_clear(struct sgx_encl_page *page, void *arg)
{
	sgx_encl_pt_clear_page(arg, page);
	return true;
}

void sgx_encl_unmap(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	sgx_encl_lock(encl);
	sgx_encl_for_each_page_in(encl, start, end, sgx_page_pt_clear, encl);
	sgx_encl_unlock(encl);
}

void sgx_encl_zap(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	struct sgx_platform *platform = encl->platform;
	const struct sgx_mm_ops *ops;

	/* The runtime takes its address-space lock, which ranks above the enclave lock. */
	sgx_lockdep_assert_not_held(SGX_LOCK_ENCL);
	sgx_encl_unmap(encl, start, end);
	ops = __atomic_load_n(&platform->mm_ops, __ATOMIC_ACQUIRE);
	if (ops && ops->zap)
		ops->zap(platform->mm_priv, encl, start, end);
}

int sgx_encl_storage(struct sgx_encl *encl, int *fd, uint64_t *base, uint64_t *size)
{
	if (!sgx_encl_test_flag(encl, SGX_ENCL_CREATED))
		return -EINVAL;
	*fd = sgx_slice_fd(encl->slice);
	*base = encl->base;
	*size = encl->size;
	return 0;
}

sgx_paddr_t sgx_encl_page_frame(struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_encl_page *page;
	sgx_paddr_t frame = 0;

	sgx_encl_lock(encl);
	page = sgx_pagemap_load(&encl->page_array, addr >> SGX_PAGE_SHIFT);
	if (page && page->epc_page)
		frame = page->epc_page->paddr;
	sgx_encl_unlock(encl);
	return frame;
}

/* --- the fault handler -------------------------------------------------------------------- */

static struct sgx_encl_page *__sgx_encl_load_page(struct sgx_encl *encl,
						  struct sgx_encl_page *entry)
{
	struct sgx_epc_page *epc_page;

	if (entry->epc_page) {
		/* EBLOCK/EWB in flight: let the access wait until the page is out, then reload. */
		if (entry->desc & SGX_ENCL_PAGE_BEING_RECLAIMED)
			return ERR_PTR(-EBUSY);
		return entry;
	}

	/* Swapped out: the SECS first if it went too (it goes after its last child). */
	if (!encl->secs.epc_page) {
		epc_page = sgx_encl_eldu(&encl->secs, NULL);
		if (IS_ERR(epc_page))
			return ERR_CAST(epc_page);
	}
	epc_page = sgx_encl_eldu(entry, encl->secs.epc_page);
	if (IS_ERR(epc_page))
		return ERR_CAST(epc_page);
	encl->secs_child_cnt++;
	encl->nr_evicted--;
	sgx_mark_page_reclaimable(encl->platform, entry->epc_page);
	return entry;
}

struct sgx_encl_page *sgx_encl_load_page(struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_encl_page *entry;

	entry = sgx_pagemap_load(&encl->page_array, addr >> SGX_PAGE_SHIFT);
	if (!entry)
		return ERR_PTR(-EFAULT);
	return __sgx_encl_load_page(encl, entry);
}

static struct sgx_encl_page *sgx_encl_load_page_in_vma(struct sgx_encl *encl, uint64_t addr,
						       unsigned long vm_flags)
{
	unsigned long vm_prot_bits = vm_flags & SGX_VM_ACCESS_FLAGS;
	struct sgx_encl_page *entry;

	entry = sgx_pagemap_load(&encl->page_array, addr >> SGX_PAGE_SHIFT);
	if (!entry)
		return ERR_PTR(-EFAULT);
	/* The mapping asks for more than the page was built with. */
	if ((entry->vm_max_prot_bits & vm_prot_bits) != vm_prot_bits)
		return ERR_PTR(-EFAULT);
	return __sgx_encl_load_page(encl, entry);
}

/*
 * sgx_encl_eaug_page(): the SGX2 half of the fault handler (ref §4.7 step 2). A fault in ELRANGE
 * of an initialized enclave where no page exists adds one with EAUG: PENDING, EPCM RW, maximum
 * protection RWX (the enclave decides the permissions with EACCEPT, EACCEPTCOPY and EMODPE).
 * Nothing is allocated with reclaim: the fault path must not wait for the reclaimer inside, so a
 * busy EPC is "retry the access" (after the reclaimer has made progress), anything else SIGBUS.
 */
static enum sgx_vm_fault sgx_encl_eaug_page(struct sgx_encl *encl, uint64_t addr,
					    unsigned long vm_flags, struct sgx_fault_answer *answer)
{
	struct sgx_platform *platform = encl->platform;
	enum sgx_vm_fault vmret = SGX_FAULT_SIGBUS;
	struct sgx_pageinfo pginfo = { 0 };
	struct sgx_encl_page *encl_page;
	struct sgx_encl_va_page *va_page;
	struct sgx_epc_page *epc_page;
	struct sgx_lp *lp;
	uint32_t progress;
	int ret;

	if (!sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		return SGX_FAULT_SIGBUS;

	encl_page = sgx_encl_page_alloc(encl, addr - encl->base,
					SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	/* VM_FAULT_OOM: the kernel's OOM path; here the access cannot be completed either. */
	if (IS_ERR(encl_page))
		return SGX_FAULT_SIGBUS;

	sgx_encl_lock(encl);
	/* Read before allocating: any progress after this wakes the wait at once. */
	progress = sgx_reclaim_progress(platform);

	/* EAUG needs the SECS: reload it if it went after its last child (sgx_encl_load_secs). */
	if (!encl->secs.epc_page) {
		epc_page = sgx_encl_eldu(&encl->secs, NULL);
		if (IS_ERR(epc_page)) {
			if (PTR_ERR(epc_page) == -EBUSY)
				vmret = SGX_FAULT_RETRY;
			goto err_out_unlock;
		}
	}

	epc_page = sgx_alloc_epc_page(platform, encl_page, SGX_EPC_OWNER_ENCL_PAGE, false);
	if (IS_ERR(epc_page)) {
		if (PTR_ERR(epc_page) == -EBUSY)
			vmret = SGX_FAULT_RETRY;
		goto err_out_unlock;
	}

	va_page = sgx_encl_grow(encl, false);
	if (IS_ERR(va_page)) {
		if (PTR_ERR(va_page) == -EBUSY)
			vmret = SGX_FAULT_RETRY;
		goto err_out_epc;
	}
	if (va_page)
		TAILQ_INSERT_HEAD(&encl->va_pages, va_page, list);

	/*
	 * -EBUSY: another thread added a page here since the caller looked without the lock.
	 * [quirk, as the kernel] That is a SIGBUS for this access, not a retry.
	 */
	ret = sgx_pagemap_insert(&encl->page_array, encl_page->desc >> SGX_PAGE_SHIFT, encl_page);
	if (ret)
		goto err_out_shrink;

	pginfo.secs = encl->secs.epc_page->paddr;
	pginfo.addr = sgx_encl_page_addr(encl_page);
	pginfo.metadata = 0;
	pginfo.contents = 0;
	if (!sgx_inject_hit(platform, EAUG, epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __eaug(lp, &pginfo, epc_page->paddr);
		sgx_put_lp(lp);
	}
	if (ret)
		goto err_out;

	encl_page->encl = encl;
	encl_page->epc_page = epc_page;
	encl_page->type = SGX_PAGE_TYPE_REG;
	encl->secs_child_cnt++;
	sgx_mark_page_reclaimable(platform, encl_page->epc_page);

	/*
	 * The PTE. The runtime installs no host PTE for a PENDING page (the EPCM allows nothing
	 * yet), so an access before EACCEPT meets the EPCM: #PF with the SGX bit.
	 */
	answer->frame = epc_page->paddr;
	answer->prot = (unsigned int)(vm_flags & SGX_VM_ACCESS_FLAGS);
	sgx_pt_set(platform->cpu, addr, answer->frame, answer->prot);
	encl_page->accessed = 1;
	sgx_encl_unlock(encl);
	return SGX_FAULT_MAPPED;

err_out:
	sgx_pagemap_erase(&encl->page_array, encl_page->desc >> SGX_PAGE_SHIFT);
err_out_shrink:
	sgx_encl_shrink(encl, va_page);
err_out_epc:
	sgx_encl_free_epc_page(platform, epc_page);
err_out_unlock:
	sgx_encl_unlock(encl);
	free(encl_page);
	if (vmret == SGX_FAULT_RETRY) {
		/* As a busy ELDU: wait for the reclaimer to make room, then retry the access. */
		answer->wait_word = &platform->reclaimer.progress;
		answer->wait_val = progress;
		__atomic_add_fetch(&platform->reclaimer.stats.fault_waits, 1, __ATOMIC_RELAXED);
	}
	return vmret;
}

enum sgx_vm_fault sgx_vma_fault(struct sgx_encl *encl, uint64_t addr, unsigned long vm_flags,
				struct sgx_fault_answer *answer)
{
	struct sgx_encl_page *entry;
	uint32_t progress;

	answer->wait_word = NULL;
	/* A mapping whose enclave could not be attached (a failed fork add). */
	if (!encl)
		return SGX_FAULT_SIGBUS;
	addr &= SGX_ENCL_PAGE_ADDR_MASK;

	sgx_encl_lock(encl);
	/*
	 * With SGX2, an address without a page gets one (EAUG). The kernel looks at its xarray
	 * without the lock; the page array here needs it, but the EAUG path then runs as the
	 * kernel's does, taking the lock again.
	 */
	if (encl->platform->have_sgx2 &&
	    !sgx_pagemap_load(&encl->page_array, addr >> SGX_PAGE_SHIFT)) {
		sgx_encl_unlock(encl);
		return sgx_encl_eaug_page(encl, addr, vm_flags, answer);
	}

	/* Read before looking: any progress after this wakes the wait below at once. */
	progress = sgx_reclaim_progress(encl->platform);
	entry = sgx_encl_load_page_in_vma(encl, addr, vm_flags);
	if (IS_ERR(entry)) {
		sgx_encl_unlock(encl);
		if (PTR_ERR(entry) != -EBUSY)
			return SGX_FAULT_SIGBUS;
		/*
		 * The kernel answers VM_FAULT_NOPAGE and the access spins through the fault until
		 * the write-back is done or a page is free; here the caller sleeps on the
		 * reclaimer's progress (sgx_fault_wait) first, once it holds no lock.
		 */
		answer->wait_word = &encl->platform->reclaimer.progress;
		answer->wait_val = progress;
		__atomic_add_fetch(&encl->platform->reclaimer.stats.fault_waits, 1,
				   __ATOMIC_RELAXED);
		return SGX_FAULT_RETRY;
	}
	/* A memory error: the access consumes it (sgx_memory_failure zapped the page). */
	if (sgx_epc_page_poisoned(entry->epc_page)) {
		sgx_encl_unlock(encl);
		return SGX_FAULT_HWPOISON;
	}
	answer->frame = entry->epc_page->paddr;
	answer->prot = (unsigned int)(vm_flags & SGX_VM_ACCESS_FLAGS);
	sgx_pt_set(encl->platform->cpu, addr, answer->frame, answer->prot);
	/* The access that faulted is an access: the reclaimer gives the page a second chance. */
	entry->accessed = 1;
	sgx_encl_unlock(encl);
	return SGX_FAULT_MAPPED;
}
