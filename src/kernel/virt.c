/* SPDX-License-Identifier: MIT */
/*
 * Virtual EPC and the hypervisor's ENCLS helpers: the kernel's virt.c (ref §4.10), see virt.h.
 */
#include "kernel/virt.h"

#include <asm/sgx.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sys.h"
#include "cpu/encls.h"
#include "kernel/launch.h"

/* The highest user address plus one (x86-64, 4-level paging: TASK_SIZE_MAX). */
#define SGX_TASK_SIZE_MAX 0x00007ffffffff000ULL
#define SGX_SIGSTRUCT_SIZE 1808
#define SGX_EINITTOKEN_SIZE 304

/* access_ok(): [addr, addr + size) is a user range. */
static bool sgx_access_ok(uint64_t addr, uint64_t size)
{
	return addr <= SGX_TASK_SIZE_MAX && size <= SGX_TASK_SIZE_MAX - addr;
}

/* --- lifetime ---------------------------------------------------------------------------- */

struct sgx_vepc *sgx_vepc_alloc(struct sgx_platform *platform)
{
	struct sgx_vepc *vepc = calloc(1, sizeof(*vepc));

	if (!vepc)
		return NULL;
	vepc->storage_fd = memfd_create("sgx_vepc", MFD_CLOEXEC);
	if (vepc->storage_fd < 0) {
		free(vepc);
		return NULL;
	}
	vepc->platform = platform;
	vepc->refcount = 1;
	pthread_mutex_init(&vepc->lock, NULL);
	sgx_pagemap_init(&vepc->page_array);

	sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_INSERT_HEAD(&platform->vepc_list, vepc, link);
	sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	return vepc;
}

void sgx_vepc_get(struct sgx_vepc *vepc)
{
	__atomic_fetch_add(&vepc->refcount, 1, __ATOMIC_RELAXED);
}

bool sgx_vepc_tryget(struct sgx_vepc *vepc)
{
	uint32_t ref = __atomic_load_n(&vepc->refcount, __ATOMIC_RELAXED);

	do {
		if (!ref)
			return false;
	} while (!__atomic_compare_exchange_n(&vepc->refcount, &ref, ref + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void sgx_vepc_put(struct sgx_vepc *vepc)
{
	if (__atomic_sub_fetch(&vepc->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		sgx_vepc_release(vepc);
}

/* --- EREMOVE of guest pages ---------------------------------------------------------------- */

/*
 * A guest cannot be trusted to have left a page in any particular state, so EREMOVE runs on
 * every page unconditionally; on a page the guest already removed it is a harmless no-op.
 * Returns EREMOVE's raw answer.
 */
static int sgx_vepc_remove_page(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	struct sgx_lp *lp;
	int ret;

	if (sgx_inject_hit(platform, EREMOVE, page->paddr, &ret))
		return ret;
	lp = sgx_get_lp(platform);
	ret = __eremove(lp, page->paddr);
	sgx_put_lp(lp);
	return ret;
}

/*
 * EREMOVE and free. SGX_CHILD_PRESENT is expected (a SECS whose children are still in the EPC)
 * and is handled by retrying later; anything else means a logical processor still runs in the
 * guest's enclave, which the hypervisor must prevent, and is warned about with the leak message.
 * A failed page is kept, not leaked: it may be freed by a later retry.
 */
static int sgx_vepc_free_page(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	int ret = sgx_vepc_remove_page(platform, page);

	if (ret) {
		if (ret != SGX_CHILD_PRESENT &&
		    sgx_platform_warn_first(platform, SGX_WARN_VEPC_EREMOVE))
			sgx_log(SGX_LOG_WARNING, SGX_EREMOVE_ERROR_MESSAGE, ret, ret);
		return ret;
	}
	/* The frame is invalid now: it goes back to the default storage of the next user. */
	sgx_cpu_bind_frame_storage(platform->cpu, page->paddr, -1, 0);
	sgx_free_epc_page(platform, page);
	return 0;
}

struct sgx_vepc_slot {
	uint64_t pgoff;
	struct sgx_epc_page *page;
};

static int sgx_vepc_slot_cmp(const void *a, const void *b)
{
	const struct sgx_vepc_slot *x = a, *y = b;

	return x->pgoff < y->pgoff ? -1 : x->pgoff > y->pgoff;
}

/*
 * The pages in file-offset order, as the kernel's xa_for_each visits them: the order decides
 * whether a SECS is tried before or after its children in the same vEPC, and so what REMOVE_ALL
 * returns. Called with the vEPC lock held (or with the last reference). NULL if out of memory
 * (or empty: *nr = 0).
 */
static struct sgx_vepc_slot *sgx_vepc_sorted(struct sgx_vepc *vepc, size_t *nr)
{
	struct sgx_vepc_slot *slots;
	struct sgx_epc_page *page;
	size_t n = 0, pos = 0;
	uint64_t key;

	*nr = sgx_pagemap_count(&vepc->page_array);
	if (!*nr)
		return NULL;
	slots = malloc(*nr * sizeof(*slots));
	if (!slots)
		return NULL;
	while ((page = sgx_pagemap_next(&vepc->page_array, &pos, &key)))
		slots[n++] = (struct sgx_vepc_slot){ .pgoff = key, .page = page };
	qsort(slots, n, sizeof(*slots), sgx_vepc_slot_cmp);
	return slots;
}

long sgx_vepc_remove_all(struct sgx_vepc *vepc)
{
	struct sgx_platform *platform = vepc->platform;
	struct sgx_vepc_slot *slots;
	long failures = 0;
	size_t nr;

	/*
	 * The kernel walks the xarray without the lock (pages are only ever added while the file
	 * is open). The lock is held here because this page array is not safe against a
	 * concurrent insert; it only keeps the guest's faults waiting for the walk.
	 */
	sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
	slots = sgx_vepc_sorted(vepc, &nr);
	if (!slots && nr) {
		sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++) {
		int ret = sgx_vepc_remove_page(platform, slots[i].page);

		if (!ret)
			continue;
		if (ret == SGX_CHILD_PRESENT) {
			/* A SECS: userspace retries once every vEPC of the guest has been done. */
			failures++;
			continue;
		}
		/*
		 * #GP (concurrent EREMOVEs of one SECS from several vEPCs) and SGX_ENCLAVE_ACT (a
		 * vCPU still inside) are userspace's doing: no warning. Only a #PF means something
		 * is wrong underneath.
		 */
		if (encls_faulted(ret) && SGX_ENCLS_FAULT_VECTOR(ret) != X86_TRAP_GP &&
		    sgx_platform_warn_first(platform, SGX_WARN_VEPC_REMOVE_ALL))
			sgx_log(SGX_LOG_WARNING,
				"WARNING: at arch/x86/kernel/cpu/sgx/virt.c sgx_vepc_remove_all: "
				"EREMOVE returned %d (0x%x)",
				ret, ret);
		failures = -EBUSY;
		break;
	}
	sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
	free(slots);
	return failures;
}

unsigned int sgx_vepc_nr_zombies(struct sgx_platform *platform)
{
	struct sgx_epc_page *page;
	unsigned int n = 0;

	sgx_mutex_lock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	TAILQ_FOREACH(page, &platform->zombie_secs_pages, list)
	n++;
	sgx_mutex_unlock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	return n;
}

/*
 * release(): the last reference (the file and every mapping) is gone.
 *
 *  1. EREMOVE every page. Children go; a SECS whose children are still in the EPC answers
 *     SGX_CHILD_PRESENT and stays.
 *  2. EREMOVE what stayed: a SECS whose children were all in this vEPC goes now; one that still
 *     fails has a child in another vEPC instance and becomes a zombie.
 *  3. The children just removed may have pinned zombies of earlier releases: retry every zombie.
 *  4. Whatever still fails joins the zombie list, to be retried at the next release.
 */
static void sgx_vepc_free(struct sgx_vepc *vepc)
{
	sgx_pagemap_destroy(&vepc->page_array);
	pthread_mutex_destroy(&vepc->lock);
	sgx_sys_close(vepc->storage_fd);
	free(vepc);
}

static void sgx_vepc_unlink(struct sgx_vepc *vepc)
{
	struct sgx_platform *platform = vepc->platform;

	sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_REMOVE(vepc, link);
	sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
}

void sgx_vepc_abandon(struct sgx_vepc *vepc)
{
	sgx_vepc_unlink(vepc);
	sgx_vepc_free(vepc);
}

void sgx_vepc_release(struct sgx_vepc *vepc)
{
	struct sgx_platform *platform = vepc->platform;
	struct sgx_epc_list secs_pages = TAILQ_HEAD_INITIALIZER(secs_pages);
	struct sgx_vepc_slot *slots;
	struct sgx_epc_page *page;
	size_t nr, pos;
	uint64_t key;

	sgx_vepc_unlink(vepc);
	slots = sgx_vepc_sorted(vepc, &nr);
	if (slots) {
		for (size_t i = 0; i < nr; i++) {
			if (sgx_vepc_free_page(platform, slots[i].page))
				continue;
			sgx_pagemap_erase(&vepc->page_array, slots[i].pgoff);
		}
		free(slots);
	} else {
		/* Out of memory for the ordering: the order only decides which pass frees what. */
		for (pos = 0; (page = sgx_pagemap_next(&vepc->page_array, &pos, &key));)
			if (!sgx_vepc_free_page(platform, page))
				sgx_pagemap_erase(&vepc->page_array, key);
	}

	for (pos = 0; (page = sgx_pagemap_next(&vepc->page_array, &pos, &key));) {
		sgx_pagemap_erase(&vepc->page_array, key);
		if (!sgx_vepc_free_page(platform, page))
			continue;
		page->owner = &platform->zombie_secs_pages;
		TAILQ_INSERT_TAIL(&secs_pages, page, list);
	}

	sgx_mutex_lock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	while ((page = TAILQ_FIRST(&platform->zombie_secs_pages))) {
		TAILQ_REMOVE(&platform->zombie_secs_pages, page, list);
		page->list.tqe_prev = NULL;
		if (sgx_vepc_free_page(platform, page))
			TAILQ_INSERT_TAIL(&secs_pages, page, list);
	}
	TAILQ_CONCAT(&platform->zombie_secs_pages, &secs_pages, list);
	sgx_mutex_unlock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	sgx_vepc_free(vepc);
}

/* --- mappings and faults --------------------------------------------------------------------- */

int sgx_vepc_mmap(struct sgx_vepc *vepc, uint64_t pgoff, uint64_t len, bool shared, int *fd)
{
	uint64_t end;
	int ret = 0;

	/* Guest memory is shared with the guest by definition: no private copies of EPC. */
	if (!shared)
		return -EINVAL;
	if (pgoff > (uint64_t)INT64_MAX >> SGX_PAGE_SHIFT ||
	    __builtin_add_overflow(pgoff << SGX_PAGE_SHIFT, len, &end) || end > (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
	/* The storage only grows: frames stay bound to their offsets until release. */
	if (end > vepc->storage_size) {
		if (ftruncate(vepc->storage_fd, (off_t)end))
			ret = errno == EFBIG ? -EOVERFLOW : -ENOMEM;
		else
			vepc->storage_size = end;
	}
	sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
	if (!ret)
		*fd = vepc->storage_fd;
	return ret;
}

/* Allocates the frame for pgoff (vEPC lock held): the page, or ERR_PTR(-EBUSY/-ENOMEM/...). */
static struct sgx_epc_page *sgx_vepc_new_page(struct sgx_vepc *vepc, uint64_t pgoff)
{
	struct sgx_platform *platform = vepc->platform;
	struct sgx_epc_page *page;
	int ret;

	/* Guest pages are never reclaimable, so the allocation never reclaims on their behalf. */
	page = sgx_alloc_epc_page(platform, vepc, SGX_EPC_OWNER_VEPC, false);
	if (IS_ERR(page))
		return page;
	ret = sgx_cpu_bind_frame_storage(platform->cpu, page->paddr, vepc->storage_fd,
					 pgoff << SGX_PAGE_SHIFT);
	if (!ret) {
		ret = sgx_pagemap_insert(&vepc->page_array, pgoff, page);
		if (!ret)
			return page;
		sgx_cpu_bind_frame_storage(platform->cpu, page->paddr, -1, 0);
	}
	/* Never valid in the EPCM: no EREMOVE needed. */
	sgx_free_epc_page(platform, page);
	return ERR_PTR(ret);
}

enum sgx_vm_fault sgx_vepc_fault(struct sgx_vepc *vepc, uint64_t addr, uint64_t pgoff,
				 unsigned long vm_flags, struct sgx_fault_answer *answer)
{
	struct sgx_platform *platform = vepc->platform;
	struct sgx_epc_page *page;
	uint32_t progress;

	answer->wait_word = NULL;
	addr &= ~(uint64_t)(SGX_PAGE_SIZE - 1);
	sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
	/* Read before allocating: any reclaim progress after this ends the wait below at once. */
	progress = sgx_reclaim_progress(platform);
	if (pgoff >= vepc->storage_size >> SGX_PAGE_SHIFT) {
		sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
		return SGX_FAULT_SIGBUS;
	}
	page = sgx_pagemap_load(&vepc->page_array, pgoff);
	if (!page) {
		page = sgx_vepc_new_page(vepc, pgoff);
		if (IS_ERR(page)) {
			sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
			if (PTR_ERR(page) != -EBUSY)
				return SGX_FAULT_SIGBUS;
			/*
			 * Every free frame is gone but ksgxd can make one (the allocation woke it):
			 * the kernel's VM_FAULT_RETRY; here the access waits for the reclaimer.
			 */
			answer->wait_word = &platform->reclaimer.progress;
			answer->wait_val = progress;
			return SGX_FAULT_RETRY;
		}
	}
	/*
	 * The kernel answers a fault on an offset that already has a frame with "done" and inserts
	 * nothing, which would refault forever in a second mapping of the offset; here the frame is
	 * mapped again, which is what such a mapping needs.
	 */
	if (sgx_epc_page_poisoned(page)) {
		/* The access consumes the memory error: the runtime delivers the machine check. */
		sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
		return SGX_FAULT_HWPOISON;
	}
	answer->frame = page->paddr;
	answer->prot = (unsigned int)(vm_flags & SGX_VM_ACCESS_FLAGS);
	sgx_pt_set(platform->cpu, addr, answer->frame, answer->prot);
	sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
	return SGX_FAULT_MAPPED;
}

void sgx_vepc_unmap(struct sgx_vepc *vepc, uint64_t addr, uint64_t pgoff, uint64_t len)
{
	struct sgx_cpu *cpu = vepc->platform->cpu;
	uint64_t npages = len >> SGX_PAGE_SHIFT;
	struct sgx_epc_page *page;
	unsigned int prot;
	sgx_paddr_t frame;
	size_t pos = 0;
	uint64_t key;

	sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
	/* A guest's EPC may be gigabytes with few pages touched: walk whichever is smaller. */
	if (npages <= 2 * sgx_pagemap_count(&vepc->page_array) + 16) {
		for (uint64_t i = 0; i < npages; i++) {
			page = sgx_pagemap_load(&vepc->page_array, pgoff + i);
			if (page &&
			    sgx_pt_lookup(cpu, addr + (i << SGX_PAGE_SHIFT), &frame, &prot) &&
			    frame == page->paddr)
				sgx_pt_clear(cpu, addr + (i << SGX_PAGE_SHIFT));
		}
	} else {
		while ((page = sgx_pagemap_next(&vepc->page_array, &pos, &key))) {
			uint64_t at = addr + ((key - pgoff) << SGX_PAGE_SHIFT);

			if (key < pgoff || key - pgoff >= npages)
				continue;
			if (sgx_pt_lookup(cpu, at, &frame, &prot) && frame == page->paddr)
				sgx_pt_clear(cpu, at);
		}
	}
	sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
}

sgx_paddr_t sgx_vepc_frame(struct sgx_vepc *vepc, uint64_t pgoff)
{
	struct sgx_epc_page *page;

	sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
	page = sgx_pagemap_load(&vepc->page_array, pgoff);
	sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
	return page ? page->paddr : 0;
}

long sgx_vepc_ioctl(struct sgx_vepc *vepc, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SGX_IOC_VEPC_REMOVE_ALL:
		if (arg)
			return -EINVAL;
		return sgx_vepc_remove_all(vepc);
	default:
		return -ENOIOCTLCMD;
	}
}

/* --- the hypervisor's helpers -------------------------------------------------------------- */

int sgx_virt_user_epc(struct sgx_platform *platform, uint64_t uaddr, sgx_paddr_t *paddr)
{
	uint64_t page = uaddr & ~(uint64_t)(SGX_PAGE_SIZE - 1);
	const struct sgx_mm_ops *ops;
	unsigned int prot;
	sgx_paddr_t frame;

	if (!sgx_pt_lookup(platform->cpu, page, &frame, &prot)) {
		/* Never touched: fault it in, as get_user_pages would (fixup_user_fault). */
		ops = __atomic_load_n(&platform->mm_ops, __ATOMIC_ACQUIRE);
		if (!ops || !ops->fault_in || ops->fault_in(platform->mm_priv, page))
			return -EFAULT;
		if (!sgx_pt_lookup(platform->cpu, page, &frame, &prot))
			return -EFAULT;
	}
	if (!sgx_cpu_is_epc(platform->cpu, frame))
		return -EFAULT;
	*paddr = frame | (uaddr & (SGX_PAGE_SIZE - 1));
	return 0;
}

int sgx_virt_ecreate(struct sgx_platform *platform, struct sgx_pageinfo *pageinfo, uint64_t secs,
		     int *trapnr)
{
	sgx_paddr_t secs_pa;
	struct sgx_lp *lp;
	int ret;

	/*
	 * KVM has already turned the guest's pointer into a host address; one that is not even a
	 * user address is KVM's bug. Everything else (alignment included) is ECREATE's to check.
	 */
	if (!sgx_access_ok(secs, SGX_PAGE_SIZE)) {
		if (sgx_platform_warn_first(platform, SGX_WARN_VIRT_ACCESS))
			sgx_log(SGX_LOG_WARNING, "WARNING: at arch/x86/kernel/cpu/sgx/virt.c "
						 "sgx_virt_ecreate: !access_ok(secs, PAGE_SIZE)");
		return -EINVAL;
	}
	/* An address that maps no EPC: ECREATE's EPC check fails with #PF. */
	if (sgx_virt_user_epc(platform, secs, &secs_pa)) {
		*trapnr = X86_TRAP_PF;
		return -EFAULT;
	}
	lp = sgx_get_lp(platform);
	/* The operands come from the hypervisor, not from this layer: the CPU checks them. */
	sgx_lp_set_kernel_operands(lp, false);
	ret = __ecreate(lp, pageinfo, secs_pa);
	sgx_put_lp(lp);
	if (encls_faulted(ret)) {
		*trapnr = SGX_ENCLS_FAULT_VECTOR(ret);
		return -EFAULT;
	}
	/* ECREATE has no status codes: it faults or succeeds. */
	if (ret && sgx_platform_warn_first(platform, SGX_WARN_VIRT_ECREATE))
		sgx_log(SGX_LOG_WARNING,
			"WARNING: at arch/x86/kernel/cpu/sgx/virt.c "
			"sgx_virt_ecreate: ECREATE returned %d",
			ret);
	return 0;
}

/* Writes the guest's hash into this LP's MSRs as KVM does: directly, not through launch.c. */
static void sgx_virt_write_lepubkeyhash(struct sgx_platform *platform, struct sgx_lp *lp,
					const uint64_t hash[4])
{
	for (unsigned int i = 0; i < 4; i++) {
		struct sgx_fault fault;

		sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, hash[i], &fault);
	}
	/*
	 * The host's launch-key cache (seed 000) believes these MSRs still hold what it wrote last;
	 * a host EINIT on this LP would skip the writes and fail. Forget them.
	 */
	if (!platform->test_hooks.virt_einit_keeps_launch_cache)
		sgx_launch_cache_invalidate(platform, lp);
}

int sgx_virt_einit(struct sgx_platform *platform, uint64_t sigstruct, uint64_t token, uint64_t secs,
		   const uint64_t lepubkeyhash[4], int *trapnr)
{
	sgx_paddr_t secs_pa;
	struct sgx_lp *lp;
	int ret;

	if (!sgx_access_ok(sigstruct, SGX_SIGSTRUCT_SIZE) ||
	    !sgx_access_ok(token, SGX_EINITTOKEN_SIZE) || !sgx_access_ok(secs, SGX_PAGE_SIZE)) {
		if (sgx_platform_warn_first(platform, SGX_WARN_VIRT_ACCESS))
			sgx_log(SGX_LOG_WARNING, "WARNING: at arch/x86/kernel/cpu/sgx/virt.c "
						 "__sgx_virt_einit: !access_ok()");
		return -EINVAL;
	}
	if (sgx_virt_user_epc(platform, secs, &secs_pa)) {
		*trapnr = X86_TRAP_PF;
		return -EFAULT;
	}
	/* The LP stays ours from the MSR writes to the end of EINIT (preempt_disable()). */
	lp = sgx_get_lp(platform);
	/* SIGSTRUCT and token are the guest's memory (user addresses, as KVM passes them). */
	sgx_lp_set_kernel_operands(lp, false);
	if (platform->flc)
		sgx_virt_write_lepubkeyhash(platform, lp, lepubkeyhash);
	if (!sgx_inject_hit(platform, EINIT, secs_pa, &ret))
		ret = __einit(lp, (const void *)(uintptr_t)sigstruct,
			      (const void *)(uintptr_t)token, secs_pa);
	sgx_put_lp(lp);
	if (encls_faulted(ret)) {
		*trapnr = SGX_ENCLS_FAULT_VECTOR(ret);
		return -EFAULT;
	}
	return ret;
}
