/* SPDX-License-Identifier: MIT */
/*
 * Platform boot and the EPC page allocator: the kernel's main.c (ref §4.1, §4.2) and the driver's
 * feature gating (sgx_drv_init, ref §6).
 */
#include "kernel/sgx.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel/task.h"
#include "kernel/virt.h"

/* The kernel's SGX_MISC_RESERVED_MASK: only EXINFO (bit 0) is architecturally defined. */
#define SGX_MISC_RESERVED_MASK (~1ULL)
/* XFRM the kernel assumes when the OS does not use XSAVE: x87 and SSE only. */
#define SGX_XFRM_DEFAULT_RESERVED_MASK (~0x3ULL)
#define X86_CPUID1_ECX_OSXSAVE (1U << 27)
#define X86_CPUID7_EBX_SGX (1U << 2)
#define X86_CPUID7_ECX_SGX_LC (1U << 30)

bool sgx_platform_warn_first(struct sgx_platform *platform, enum sgx_warn_once which)
{
	uint32_t bit = 1U << which;

	return !(__atomic_fetch_or(&platform->warned, bit, __ATOMIC_RELAXED) & bit);
}

bool sgx_encls_failed(const struct sgx_platform *platform, int ret)
{
	if (encls_faulted(ret)) {
		int trapnr = SGX_ENCLS_FAULT_VECTOR(ret);

		/*
		 * An EPC loss (suspend) makes ENCLS fault with #PF on SGX2 parts and #GP on SGX1
		 * parts; those are expected and not worth a warning.
		 */
		if (platform->have_sgx2)
			return trapnr != X86_TRAP_PF;
		return trapnr != X86_TRAP_GP;
	}
	return ret != 0;
}

struct sgx_lp *sgx_get_lp(struct sgx_platform *platform)
{
	struct sgx_lp *lp;

	/* A sleeping machine runs no leaf (power.h). */
	sgx_pm_encls_wait(platform);
	sgx_lockdep_acquire(SGX_LOCK_LP);
	lp = sgx_cpu_get_lp(platform->cpu);
	/*
	 * Like the real kernel, this layer hands ENCLS only its own memory: user data is copied in
	 * first (the SECS, SIGSTRUCT, the ADD_PAGES source page), so the CPU may read operands
	 * directly. A path that passes a user address (a guest's trapped ENCLS) must not use this.
	 */
	sgx_lp_set_kernel_operands(lp, true);
	return lp;
}

void sgx_put_lp(struct sgx_lp *lp)
{
	sgx_cpu_put_lp(lp);
	sgx_lockdep_release(SGX_LOCK_LP);
}

/* --- page lists --------------------------------------------------------------------------- */

static void sgx_epc_list_del_init(struct sgx_epc_list *head, struct sgx_epc_page *page)
{
	TAILQ_REMOVE(head, page, list);
	page->list.tqe_prev = NULL;
	page->list.tqe_next = NULL;
}

static bool sgx_epc_page_on_list(const struct sgx_epc_page *page)
{
	return page->list.tqe_prev != NULL;
}

struct sgx_epc_page *sgx_epc_page_lookup(struct sgx_platform *platform, sgx_paddr_t paddr)
{
	for (unsigned int i = 0; i < platform->nr_sections; i++) {
		struct sgx_epc_section *section = &platform->sections[i];

		if (paddr >= section->phys_addr && paddr - section->phys_addr < section->size)
			return &section->pages[(paddr - section->phys_addr) >> SGX_PAGE_SHIFT];
	}
	return NULL;
}

/* --- allocation --------------------------------------------------------------------------- */

static struct sgx_epc_page *__sgx_alloc_epc_page_from_section(struct sgx_platform *platform,
							      struct sgx_epc_section *section)
{
	struct sgx_epc_page *page;

	sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
	page = TAILQ_FIRST(&section->free_page_list);
	if (page) {
		sgx_epc_list_del_init(&section->free_page_list, page);
		page->flags = 0;
		section->nr_free--;
	}
	sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
	if (page)
		__atomic_fetch_sub(&platform->nr_free_pages, 1, __ATOMIC_RELAXED);
	return page;
}

/*
 * The kernel starts at the current CPU's NUMA node and walks the others round-robin. There is no
 * NUMA here, so sections are tried in order: deterministic, and the first section fills first.
 */
static struct sgx_epc_page *__sgx_alloc_epc_page(struct sgx_platform *platform)
{
	for (unsigned int i = 0; i < platform->nr_sections; i++) {
		struct sgx_epc_page *page =
			__sgx_alloc_epc_page_from_section(platform, &platform->sections[i]);

		if (page)
			return page;
	}
	return ERR_PTR(-ENOMEM);
}

bool sgx_active_list_empty(struct sgx_platform *platform)
{
	return !__atomic_load_n(&platform->reclaimer.nr_active, __ATOMIC_RELAXED);
}

struct sgx_epc_page *sgx_alloc_epc_page(struct sgx_platform *platform, void *owner,
					enum sgx_epc_owner_kind kind, bool reclaim)
{
	struct sgx_epc_page *page;

	for (;;) {
		page = __sgx_alloc_epc_page(platform);
		if (!IS_ERR(page)) {
			page->owner = owner;
			page->owner_kind = kind;
			break;
		}
		/* Nothing reclaimable: no point in waking ksgxd either. */
		if (sgx_active_list_empty(platform))
			return ERR_PTR(-ENOMEM);
		if (!reclaim) {
			page = ERR_PTR(-EBUSY);
			break;
		}
		sgx_pause_point(&platform->pause, SGX_PAUSE_RECLAIM_DIRECT, owner);
		if (sgx_signal_pending()) {
			page = ERR_PTR(-ERESTARTSYS);
			break;
		}
		/* Direct reclaim: the batch zaps PTEs and takes enclave locks; we must hold none. */
		sgx_lockdep_assert_not_held(SGX_LOCK_ENCL);
		__atomic_add_fetch(&platform->reclaimer.stats.direct_batches, 1, __ATOMIC_RELAXED);
		if (!sgx_reclaim_pages(platform))
			sched_yield(); /* cond_resched(): let the page holders move */
	}
	if (sgx_should_reclaim(platform, SGX_NR_LOW_PAGES))
		sgx_reclaimer_wake(platform);
	return page;
}

void sgx_free_epc_page(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	struct sgx_epc_section *section = &platform->sections[page->section];

	sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
	page->owner = NULL;
	page->owner_kind = SGX_EPC_OWNER_NONE;
	if (sgx_epc_page_poisoned(page)) {
		/*
		 * A page with a memory error is never handed out again (ref §4.11). The kernel
		 * still counts it in sgx_nr_free_pages; here the counts stay exact.
		 */
		TAILQ_INSERT_TAIL(&section->poison_page_list, page, list);
		page->flags = SGX_EPC_PAGE_POISONED;
		section->nr_poisoned++;
		sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
		return;
	}
	TAILQ_INSERT_TAIL(&section->free_page_list, page, list);
	page->flags = SGX_EPC_PAGE_IS_FREE;
	section->nr_free++;
	sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
	__atomic_fetch_add(&platform->nr_free_pages, 1, __ATOMIC_RELAXED);
}

void sgx_epc_page_leak(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	struct sgx_epc_section *section = &platform->sections[page->section];

	sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
	page->owner = NULL;
	page->owner_kind = SGX_EPC_OWNER_NONE;
	page->flags |= SGX_EPC_PAGE_LEAKED;
	section->nr_leaked++;
	sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
}

int sgx_encl_free_epc_page(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	struct sgx_lp *lp;
	int ret;

	if ((page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) &&
	    sgx_platform_warn_first(platform, SGX_WARN_TRACKED_FREE))
		sgx_log(SGX_LOG_WARNING, "WARNING: sgx_encl_free_epc_page: freeing a page the "
					 "reclaimer still tracks");

	if (!sgx_inject_hit(platform, EREMOVE, page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __eremove(lp, page->paddr);
		sgx_put_lp(lp);
	}
	if (ret) {
		/*
		 * EREMOVE failing means the kernel is about to free a page it is still using
		 * somewhere: a use-after-free of EPC, detected at free time. The page goes back
		 * nowhere, so the damage stays contained (seed 004).
		 */
		if (sgx_platform_warn_first(platform, SGX_WARN_EREMOVE_LEAK))
			sgx_log(SGX_LOG_WARNING, SGX_EREMOVE_ERROR_MESSAGE, ret, ret);
		sgx_epc_page_leak(platform, page);
		return ret;
	}
	sgx_free_epc_page(platform, page);
	return 0;
}

/* --- the reclaimer's LRU ------------------------------------------------------------------ */

void sgx_mark_page_reclaimable(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	page->flags |= SGX_EPC_PAGE_RECLAIMER_TRACKED;
	TAILQ_INSERT_TAIL(&platform->active_page_list, page, list);
	__atomic_add_fetch(&platform->reclaimer.nr_active, 1, __ATOMIC_RELAXED);
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
}

int sgx_unmark_page_reclaimable(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	int ret = 0;

	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	if (page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) {
		/*
		 * The page is being reclaimed: it is tracked but off the LRU (isolated by a batch,
		 * or waiting on the deferred list).
		 */
		if (!sgx_epc_page_on_list(page) || (page->flags & SGX_EPC_PAGE_DEFERRED)) {
			ret = -EBUSY;
			goto out;
		}
		sgx_epc_list_del_init(&platform->active_page_list, page);
		__atomic_sub_fetch(&platform->reclaimer.nr_active, 1, __ATOMIC_RELAXED);
		page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
	}
out:
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	return ret;
}

/* --- memory failure ------------------------------------------------------------------------ */

/*
 * What the machine check gives the task that consumed the error: force_sig(SIGBUS), i.e. SIGBUS
 * with si_code SI_KERNEL and no address (arch_memory_failure() sends no BUS_MCEERR_* details).
 */
static void sgx_force_sigbus(void)
{
	siginfo_t info = { .si_signo = SIGBUS, .si_code = SI_KERNEL };

	info.si_pid = 0;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGBUS, &info);
}

struct sgx_poison_target {
	struct sgx_encl *encl;
	struct sgx_vepc *vepc;
	uint64_t addr; /* enclave page address, or vEPC file page offset */
};

/*
 * Which enclave page or vEPC offset holds page right now, with a reference on its owner. The
 * owner pointer itself may be freed under us, so the owners are searched, not followed.
 */
static bool sgx_poison_find_owner(struct sgx_platform *platform, struct sgx_epc_page *page,
				  struct sgx_poison_target *target)
{
	struct sgx_encl *encl;
	struct sgx_vepc *vepc;
	void *entry;
	uint64_t key;

	*target = (struct sgx_poison_target){ 0 };
	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(encl, &platform->encl_list, link)
	{
		size_t pos = 0;

		sgx_encl_lock(encl);
		while ((entry = sgx_pagemap_next(&encl->page_array, &pos, NULL))) {
			struct sgx_encl_page *encl_page = entry;

			if (encl_page->epc_page == page && sgx_encl_get_unless_zero(encl)) {
				target->encl = encl;
				target->addr = sgx_encl_page_addr(encl_page);
				break;
			}
		}
		sgx_encl_unlock(encl);
		if (target->encl)
			break;
	}
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	if (target->encl)
		return true;

	sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(vepc, &platform->vepc_list, link)
	{
		size_t pos = 0;

		sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
		while ((entry = sgx_pagemap_next(&vepc->page_array, &pos, &key))) {
			if (entry == page && sgx_vepc_tryget(vepc)) {
				target->vepc = vepc;
				target->addr = key;
				break;
			}
		}
		sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
		if (target->vepc)
			break;
	}
	sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	return target->vepc != NULL;
}

int sgx_memory_failure(struct sgx_platform *platform, sgx_paddr_t paddr, int flags)
{
	struct sgx_epc_page *page = sgx_epc_page_lookup(platform, paddr);
	struct sgx_poison_target target;
	struct sgx_epc_section *section;
	const struct sgx_mm_ops *ops;

	/* mm calls this for every error without a struct page, not only for EPC. */
	if (!page)
		return -ENXIO;
	/*
	 * Consumed synchronously: the hardware has already left the enclave (an AEX) and will not
	 * re-enter it through this page; the signal tells the task why its enclave broke.
	 */
	if (flags & SGX_MF_ACTION_REQUIRED)
		sgx_force_sigbus();

	section = &platform->sections[page->section];
	sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
	if (page->poison) {
		sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
		return 0;
	}
	__atomic_store_n(&page->poison, 1, __ATOMIC_RELEASE);
	if (page->flags & SGX_EPC_PAGE_IS_FREE) {
		TAILQ_REMOVE(&section->free_page_list, page, list);
		TAILQ_INSERT_TAIL(&section->poison_page_list, page, list);
		page->flags = SGX_EPC_PAGE_POISONED;
		section->nr_free--;
		section->nr_poisoned++;
		sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
		__atomic_fetch_sub(&platform->nr_free_pages, 1, __ATOMIC_RELAXED);
		return 0;
	}
	sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);

	/* In use: never EWB it (that would read the bad memory); it goes when its owner frees it. */
	sgx_unmark_page_reclaimable(platform, page);

	/*
	 * The emulator's part of the hardware: the next access to the page must consume the error.
	 * Its mappings are zapped, and the fault path answers SGX_FAULT_HWPOISON from now on.
	 */
	if (!sgx_poison_find_owner(platform, page, &target))
		return 0; /* a SECS or VA page, or one being freed: nothing maps it */
	ops = __atomic_load_n(&platform->mm_ops, __ATOMIC_ACQUIRE);
	if (target.encl) {
		sgx_encl_zap(target.encl, target.addr, target.addr + SGX_PAGE_SIZE);
		sgx_encl_put(target.encl);
	} else {
		if (ops && ops->zap_vepc)
			ops->zap_vepc(platform->mm_priv, target.vepc, target.addr, 1);
		sgx_vepc_put(target.vepc);
	}
	return 0;
}

/* --- boot --------------------------------------------------------------------------------- */

static bool sgx_setup_epc_section(struct sgx_platform *platform, sgx_paddr_t phys_addr,
				  uint64_t size)
{
	struct sgx_epc_section *section = &platform->sections[platform->nr_sections];
	uint64_t nr_pages = size >> SGX_PAGE_SHIFT;

	section->pages = calloc(nr_pages, sizeof(*section->pages));
	if (!section->pages)
		return false;
	section->phys_addr = phys_addr;
	section->size = size;
	section->nr_pages = nr_pages;
	pthread_mutex_init(&section->lock, NULL);
	TAILQ_INIT(&section->free_page_list);
	TAILQ_INIT(&section->poison_page_list);

	/* Every page starts dirty: it may hold anything a previous kernel left (ref §4.1). */
	for (uint64_t i = 0; i < nr_pages; i++) {
		struct sgx_epc_page *page = &section->pages[i];

		page->paddr = phys_addr + (i << SGX_PAGE_SHIFT);
		page->section = (uint16_t)platform->nr_sections;
		TAILQ_INSERT_TAIL(&platform->dirty_page_list, page, list);
	}
	platform->nr_total_pages += nr_pages;
	platform->nr_sections++;
	return true;
}

/* sgx_page_cache_init(): EPC sections exactly as CPUID(0x12, 2..9) reports them. */
static int sgx_page_cache_init(struct sgx_platform *platform)
{
	for (unsigned int i = 0; i < SGX_MAX_EPC_SECTIONS; i++) {
		uint32_t r[4];
		unsigned int type;
		sgx_paddr_t pa;
		uint64_t size;

		sgx_cpu_cpuid(platform->cpu, SGX_CPUID, SGX_CPUID_EPC + i, r);
		type = r[0] & SGX_CPUID_EPC_MASK;
		if (type == SGX_CPUID_EPC_INVALID)
			break;
		if (type != SGX_CPUID_EPC_SECTION) {
			pr_err("Unknown EPC section type: %u", type);
			break;
		}
		pa = ((uint64_t)(r[1] & 0xFFFFF) << 32) + (uint64_t)(r[0] & 0xFFFFF000);
		size = ((uint64_t)(r[3] & 0xFFFFF) << 32) + (uint64_t)(r[2] & 0xFFFFF000);
		pr_info("EPC section 0x%llx-0x%llx", (unsigned long long)pa,
			(unsigned long long)(pa + size - 1));
		if (!sgx_setup_epc_section(platform, pa, size)) {
			pr_err("No free memory for an EPC section");
			break;
		}
	}
	if (!platform->nr_sections) {
		pr_err("There are zero EPC sections.");
		return -ENOMEM;
	}
	return 0;
}

/*
 * One sanitising pass over the dirty list (the kernel's __sgx_sanitize_pages): EREMOVE every
 * page; a page that answers anything but success (a SECS whose children are still in the EPC:
 * SGX_CHILD_PRESENT) stays dirty for the next pass. Returns how many are left.
 */
static uint64_t __sgx_sanitize_pages(struct sgx_platform *platform)
{
	struct sgx_epc_list dirty = TAILQ_HEAD_INITIALIZER(dirty);
	struct sgx_epc_page *page;
	uint64_t left_dirty = 0;

	while ((page = TAILQ_FIRST(&platform->dirty_page_list))) {
		int ret;

		TAILQ_REMOVE(&platform->dirty_page_list, page, list);
		if (!sgx_inject_hit(platform, EREMOVE, page->paddr, &ret)) {
			struct sgx_lp *lp = sgx_get_lp(platform);

			ret = __eremove(lp, page->paddr);
			sgx_put_lp(lp);
		}
		if (!ret) {
			page->list.tqe_prev = NULL;
			sgx_free_epc_page(platform, page);
		} else {
			TAILQ_INSERT_TAIL(&dirty, page, list);
			left_dirty++;
		}
	}
	TAILQ_CONCAT(&platform->dirty_page_list, &dirty, list);
	return left_dirty;
}

static void sgx_sanitize_epc(struct sgx_platform *platform)
{
	struct sgx_epc_page *page;
	uint64_t left;

	/*
	 * The kernel sanitises from ksgxd while boot continues, so early allocations can see
	 * ENOMEM. Here boot waits for it: a platform is usable as soon as it exists.
	 */
	__sgx_sanitize_pages(platform);
	left = __sgx_sanitize_pages(platform);
	if (!left)
		return;
	if (sgx_platform_warn_first(platform, SGX_WARN_DIRTY))
		sgx_log(SGX_LOG_WARNING,
			"WARNING: ksgxd: %llu EPC pages still dirty after the second sanitization "
			"pass; they will never be used",
			(unsigned long long)left);
	TAILQ_FOREACH(page, &platform->dirty_page_list, list)
	{
		page->flags |= SGX_EPC_PAGE_DIRTY;
		platform->sections[page->section].nr_dirty++;
	}
}

/* feat_ctl and sgx_drv_init: which device nodes this CPU gets, and the reserved masks. */
static void sgx_drv_init(struct sgx_platform *platform)
{
	uint32_t leaf7[4], leaf1[4], sgx0[4], sgx1[4];
	struct sgx_fault fault;
	uint64_t feat_ctl = 0;
	uint64_t attr_mask, xfrm_mask;
	struct sgx_lp *lp;
	bool lc;

	sgx_cpu_cpuid(platform->cpu, 7, 0, leaf7);
	sgx_cpu_cpuid(platform->cpu, 1, 0, leaf1);
	sgx_cpu_cpuid(platform->cpu, SGX_CPUID, 0, sgx0);
	sgx_cpu_cpuid(platform->cpu, SGX_CPUID, 1, sgx1);

	lc = leaf7[2] & X86_CPUID7_ECX_SGX_LC;
	if (lc) {
		lp = sgx_get_lp(platform);
		if (sgx_rdmsr(lp, MSR_IA32_FEAT_CTL, &feat_ctl, &fault))
			feat_ctl = 0;
		sgx_put_lp(lp);
		if (!(feat_ctl & FEAT_CTL_SGX_LC_ENABLED)) {
			sgx_log(SGX_LOG_ERR, "x86/cpu: SGX Launch Control is locked. Support SGX "
					     "virtualization only.");
			lc = false;
		}
	}
	platform->flc = lc;
	platform->have_sgx2 = sgx0[0] & 2;

	/* /dev/sgx_provision is registered by sgx_init itself, whatever the driver decides. */
	platform->have_provision_dev = true;
	/*
	 * /dev/sgx_vepc comes from sgx_vepc_init(), which needs VMX and CONFIG_X86_SGX_KVM, not
	 * launch control ("Support SGX virtualization only."): the emulated machine has both.
	 */
	platform->have_vepc_dev = true;

	if (!lc) {
		pr_info("SGX disabled: SGX launch control CPU feature is not available, "
			"/dev/sgx_enclave disabled.");
		return;
	}
	if (!(sgx0[0] & 1)) {
		pr_info("SGX disabled: SGX1 instruction support not available, /dev/sgx_enclave "
			"disabled.");
		return;
	}

	platform->misc_reserved_mask = (uint64_t)(uint32_t)~sgx0[1] | SGX_MISC_RESERVED_MASK;
	attr_mask = ((uint64_t)sgx1[1] << 32) + (uint64_t)sgx1[0];
	platform->attributes_reserved_mask = ~attr_mask | SGX_ATTR_RESERVED_MASK;
	platform->xfrm_reserved_mask = SGX_XFRM_DEFAULT_RESERVED_MASK;
	if (leaf1[2] & X86_CPUID1_ECX_OSXSAVE) {
		xfrm_mask = ((uint64_t)sgx1[3] << 32) + (uint64_t)sgx1[2];
		platform->xfrm_reserved_mask = ~xfrm_mask;
	}
	platform->have_enclave_dev = true;
}

static struct sgx_platform *sgx_platform_boot(struct sgx_cpu *cpu, bool own_cpu)
{
	struct sgx_platform *platform = calloc(1, sizeof(*platform));

	if (!platform)
		return NULL;
	platform->cpu = cpu;
	platform->own_cpu = own_cpu;
	platform->config = *sgx_cpu_config(cpu);
	platform->nr_lps = sgx_cpu_nr_lps(cpu);
	pthread_mutex_init(&platform->reclaimer_lock, NULL);
	pthread_mutex_init(&platform->encl_list_lock, NULL);
	TAILQ_INIT(&platform->active_page_list);
	TAILQ_INIT(&platform->dirty_page_list);
	LIST_INIT(&platform->encl_list);
	pthread_mutex_init(&platform->vepc_list_lock, NULL);
	LIST_INIT(&platform->vepc_list);
	pthread_mutex_init(&platform->zombie_secs_lock, NULL);
	TAILQ_INIT(&platform->zombie_secs_pages);
	sgx_pm_state_init(&platform->pm);
	sgx_pause_state_init(&platform->pause);
	pthread_mutex_init(&platform->inject.lock, NULL);
	sgx_reclaimer_init(platform);

	platform->launch_cache = calloc(platform->nr_lps, sizeof(*platform->launch_cache));
	if (!platform->launch_cache)
		goto err;

	/* X86_FEATURE_SGX: without it, sgx_init() gives up before looking at the EPC. */
	{
		uint32_t leaf7[4];

		sgx_cpu_cpuid(cpu, 7, 0, leaf7);
		if (!(leaf7[1] & X86_CPUID7_EBX_SGX)) {
			sgx_log(SGX_LOG_ERR, "x86/cpu: SGX disabled or unsupported by BIOS.");
			errno = ENODEV;
			goto err;
		}
	}
	if (sgx_page_cache_init(platform)) {
		errno = ENOMEM;
		goto err;
	}
	sgx_drv_init(platform);
	sgx_sanitize_epc(platform);
	/* ksgxd starts after sanitising here (the kernel's sanitises first thing, itself). */
	errno = -sgx_reclaimer_start(platform);
	if (errno)
		goto err;
	return platform;
err:
	for (unsigned int i = 0; i < platform->nr_sections; i++)
		free(platform->sections[i].pages);
	free(platform->launch_cache);
	sgx_pause_state_destroy(&platform->pause);
	sgx_reclaimer_free(platform);
	free(platform);
	return NULL;
}

struct sgx_platform *sgx_platform_create(const struct sgxemu_config *config, char *err,
					 size_t errlen)
{
	struct sgx_platform *platform;
	struct sgx_cpu *cpu;

	if (sgxemu_config_validate(config, err, errlen)) {
		errno = EINVAL;
		return NULL;
	}
	sgx_log_set_level((enum sgx_log_level)config->log_level);
	cpu = sgx_cpu_create(config);
	if (!cpu) {
		if (err && errlen)
			snprintf(err, errlen, "cannot create the CPU: %s", strerror(errno));
		return NULL;
	}
	platform = sgx_platform_boot(cpu, true);
	if (!platform) {
		int saved = errno;

		if (err && errlen)
			snprintf(err, errlen, "platform boot failed: %s", strerror(saved));
		sgx_cpu_destroy(cpu);
		errno = saved;
		return NULL;
	}
	if (sgx_platform_apply_injection(platform, err, errlen)) {
		sgx_platform_destroy(platform);
		errno = EINVAL;
		return NULL;
	}
	return platform;
}

struct sgx_platform *sgx_platform_create_on(struct sgx_cpu *cpu, char *err, size_t errlen)
{
	struct sgx_platform *platform = sgx_platform_boot(cpu, false);

	if (!platform && err && errlen)
		snprintf(err, errlen, "platform boot failed: %s", strerror(errno));
	return platform;
}

void sgx_platform_register_mm(struct sgx_platform *platform, const struct sgx_mm_ops *ops,
			      void *priv)
{
	platform->mm_priv = priv;
	__atomic_store_n(&platform->mm_ops, ops, __ATOMIC_RELEASE);
}

static void sgx_platform_free(struct sgx_platform *platform)
{
	for (unsigned int i = 0; i < platform->nr_sections; i++) {
		pthread_mutex_destroy(&platform->sections[i].lock);
		free(platform->sections[i].pages);
	}
	free(platform->launch_cache);
	sgx_pause_state_destroy(&platform->pause);
	sgx_reclaimer_free(platform);
	pthread_mutex_destroy(&platform->inject.lock);
	pthread_mutex_destroy(&platform->reclaimer_lock);
	pthread_mutex_destroy(&platform->encl_list_lock);
	pthread_mutex_destroy(&platform->vepc_list_lock);
	pthread_mutex_destroy(&platform->zombie_secs_lock);
	sgx_pm_state_destroy(&platform->pm);
	free(platform);
}

void sgx_platform_destroy(struct sgx_platform *platform)
{
	struct sgx_encl *encl;

	struct sgx_vepc *vepc;

	if (!platform)
		return;
	/* A machine that is switched off while asleep: nothing may wait for a wake-up any more. */
	sgx_platform_resume(platform);
	/* Every device file of this platform goes: that drops the files' enclave references. */
	sgx_driver_platform_gone(platform);
	/* ksgxd finishes its batch; pages it set aside go back to their enclaves' teardown. */
	sgx_reclaimer_stop(platform);
	sgx_reclaimer_release_deferred(platform);

	/*
	 * What is left is held by mappings the runtime did not tear down. Shutdown is the machine
	 * going away, so they are released anyway (and must not be used afterwards).
	 */
	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	while ((encl = LIST_FIRST(&platform->encl_list))) {
		sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
		pr_warn("enclave %llu still referenced at platform shutdown; tearing it down",
			(unsigned long long)encl->id);
		sgx_encl_release(encl);
		sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	}
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);

	sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	while ((vepc = LIST_FIRST(&platform->vepc_list))) {
		sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
		pr_warn("a virtual EPC is still mapped at platform shutdown; releasing it");
		sgx_vepc_release(vepc);
		sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	}
	sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);

	if (platform->own_cpu)
		sgx_cpu_destroy(platform->cpu);
	sgx_platform_free(platform);
}

struct sgx_cpu *sgx_platform_abandon(struct sgx_platform *platform)
{
	struct sgx_cpu *cpu = platform->cpu;
	struct sgx_encl *encl;

	sgx_driver_platform_gone_abandon(platform);
	sgx_reclaimer_stop(platform);
	while ((encl = LIST_FIRST(&platform->encl_list)))
		sgx_encl_abandon(encl);
	while (LIST_FIRST(&platform->vepc_list))
		sgx_vepc_abandon(LIST_FIRST(&platform->vepc_list));
	platform->own_cpu = false;
	sgx_platform_free(platform);
	return cpu;
}
