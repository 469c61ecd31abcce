/* SPDX-License-Identifier: MIT */
/*
 * The platform: what the kernel's arch/x86/kernel/cpu/sgx/main.c and sgx.h own — the CPU it runs
 * on, the EPC sections and their page records, the allocator, boot-time sanitising, the
 * reclaimer's LRU, and the driver-wide state (reserved masks, launch control, the runtime's
 * callbacks). Everything that is not process-wide hangs off struct sgx_platform (DESIGN.md
 * "Style"), so a test can boot several platforms side by side.
 *
 * Files of the kernel layer and what they own:
 *   main.c     platform boot and shutdown, sections, sanitising, EPC allocation and freeing
 *   encl.c     enclaves, enclave pages, VA pages, teardown, may_map, the fault handler
 *   reclaim.c  the reclaimer: ksgxd, direct reclaim, batches (age, block, write back)
 *   paging.c   one page out (EWB with its VA slot) and in (ELDU, the SECS first)
 *   backing.c  the backing store of evicted pages (contents and PCMDs, ref §3.4)
 *   ioctl.c    SGX_IOC_ENCLAVE_* (ref §1.4-1.5, §4.3-4.5)
 *   launch.c   launch control: the IA32_SGXLEPUBKEYHASH writes around EINIT
 *   driver.c   the device files as an in-process API (sgxemu_open/ioctl/close), the default platform
 *   task.c     the calling thread as the kernel sees it: blocked signals, signal_pending, sleeps
 *   vma.c      find_vma()/VM_MAYEXEC for ADD_PAGES's source, from /proc/self/{maps,mountinfo}
 *   virt.c     /dev/sgx_vepc and the hypervisor's ECREATE/EINIT helpers (virt.h)
 *   power.c    suspend and resume: the EPC lost in a power cycle (power.h)
 *   check.c    the invariant checker;  info.c  observability (`sgxemu info`)
 *   pause.c    pause points;  inject.c  fault injection;  lockdep.c  lock-order checking
 */
#ifndef SGXEMU_KERNEL_SGX_H
#define SGXEMU_KERNEL_SGX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include <sgxemu/arch.h>
#include <sgxemu/config.h>

#include "cpu/cpu.h"
#include "kernel/err.h"
#include "kernel/lockdep.h"
#include "kernel/pause.h"
#include "kernel/power.h"

/* Constants of ref §5. */
#define SGX_MAX_EPC_SECTIONS 8
#define SGX_NR_TO_SCAN 16
#define SGX_NR_LOW_PAGES 32
#define SGX_NR_HIGH_PAGES 64
#define SGX_CPUID 0x12
#define SGX_CPUID_EPC 2
#define SGX_CPUID_EPC_MASK 0xF
#define SGX_CPUID_EPC_INVALID 0
#define SGX_CPUID_EPC_SECTION 1

/* The kernel's EREMOVE_ERROR_MESSAGE: an EREMOVE failed and the page is never freed (seed 004). */
#define SGX_EREMOVE_ERROR_MESSAGE                                                          \
	"EREMOVE returned %d (0x%x) and an EPC page was leaked. SGX may become unusable. " \
	"Refer to Documentation/arch/x86/sgx.rst for more information."

/* arch_memory_failure() flags (mm's MF_*). */
#define SGX_MF_ACTION_REQUIRED (1 << 0)

/* sgx_epc_page.flags: the kernel's two bits ... */
#define SGX_EPC_PAGE_RECLAIMER_TRACKED (1U << 0)
#define SGX_EPC_PAGE_IS_FREE (1U << 1)
/*
 * ... and two states the kernel does not name but has: a page whose EREMOVE failed is simply
 * never freed (leaked on purpose), and a page still dirty after the second sanitising pass stays
 * on the dirty list forever. The emulator flags them so that the invariant checker can account
 * for every frame.
 */
#define SGX_EPC_PAGE_LEAKED (1U << 8)
#define SGX_EPC_PAGE_DIRTY (1U << 9)
/*
 * Isolated by the reclaimer, blocked, and waiting on its deferred list for tracking to complete
 * (reclaim.c): TRACKED and on a list, but not the LRU.
 */
#define SGX_EPC_PAGE_DEFERRED (1U << 10)
/*
 * A page with a memory error that left the allocator for good: the kernel's per-node poison list
 * (ref §4.11). page->poison is set as soon as the error is reported; this flag marks the page's
 * arrival on the poison list (at once if it was free, when it is freed otherwise).
 */
#define SGX_EPC_PAGE_POISONED (1U << 11)

/*
 * Who owns an allocated page. The kernel keeps only `owner` and knows the kind from context
 * (an sgx_encl_page, &encl->secs, NULL for VA pages, the sgx_vepc); the kind is recorded here so
 * that the invariant checker can follow owner pointers back.
 */
enum sgx_epc_owner_kind {
	SGX_EPC_OWNER_NONE = 0,
	SGX_EPC_OWNER_ENCL_PAGE, /* owner: struct sgx_encl_page * (a child page) */
	SGX_EPC_OWNER_SECS,	 /* owner: &encl->secs */
	SGX_EPC_OWNER_VA,	 /* owner: struct sgx_encl_va_page * */
	SGX_EPC_OWNER_VEPC,	 /* owner: struct sgx_vepc *, or &platform->zombie_secs_pages */
	SGX_EPC_OWNER_TEST,	 /* owner: anything; tests holding raw frames */
};

struct sgx_epc_page {
	sgx_paddr_t paddr;
	uint16_t section;
	uint16_t flags;
	uint16_t poison;
	uint8_t owner_kind;
	void *owner;
	/* On a free list, the LRU or the dirty list; tqe_prev == NULL when on none (list_del_init). */
	TAILQ_ENTRY(sgx_epc_page) list;
};

TAILQ_HEAD(sgx_epc_list, sgx_epc_page);

struct sgx_epc_section {
	sgx_paddr_t phys_addr;
	uint64_t size;
	uint64_t nr_pages;
	struct sgx_epc_page *pages;
	/* The free list and its counts (the kernel keeps one per NUMA node; here one per section). */
	pthread_mutex_t lock;
	struct sgx_epc_list free_page_list;
	uint64_t nr_free;
	uint64_t nr_leaked; /* under lock */
	uint64_t nr_dirty;  /* set at boot */
	/* Pages with memory errors, never to be allocated again (the kernel's per-node list). */
	struct sgx_epc_list poison_page_list;
	uint64_t nr_poisoned; /* under lock */
};

/* One-shot warnings are per platform: a platform is one boot, and WARN_ONCE fires once a boot. */
enum sgx_warn_once {
	SGX_WARN_EREMOVE_LEAK,
	SGX_WARN_EPA,
	SGX_WARN_EEXTEND,
	SGX_WARN_EINIT,
	SGX_WARN_ENCL_CHILD_CNT,
	SGX_WARN_ENCL_SECS,
	SGX_WARN_DIRTY,
	SGX_WARN_TRACKED_FREE,
	SGX_WARN_EBLOCK,
	SGX_WARN_ETRACK,
	SGX_WARN_EWB,
	SGX_WARN_ELDU,
	SGX_WARN_PCMD_NOT_EMPTY,
	SGX_WARN_BACKING,
	SGX_WARN_VA_SLOT,
	/* The SGX2 ioctls' own pr_err_once sites (sgx2.c). */
	SGX_WARN_SGX2_ETRACK,	     /* "ETRACK returned ..." */
	SGX_WARN_SGX2_ETRACK_REPEAT, /* "ETRACK repeat returned ..." */
	SGX_WARN_EMODPR,	     /* "EMODPR encountered exception ..." */
	SGX_WARN_EMODT,		     /* "EMODT encountered exception ..." */
	SGX_WARN_VEPC_EREMOVE,
	SGX_WARN_VEPC_REMOVE_ALL,
	SGX_WARN_VIRT_ACCESS,
	SGX_WARN_VIRT_ECREATE,
	SGX_WARN_NR,
};

/* ENCLS fault injection (tests): see inject.c. */
#define SGX_INJECT_MAX 16
#define SGX_INJECT_ANY_FRAME ((sgx_paddr_t)-1)

struct sgx_inject_rule {
	unsigned int leaf;
	sgx_paddr_t frame; /* or SGX_INJECT_ANY_FRAME */
	int ret; /* what the leaf "returns": an SGX_* code or SGX_ENCLS_FAULT_FLAG|vector */
	unsigned int count; /* how many more times; UINT32_MAX = forever */
};

struct sgx_inject_state {
	pthread_mutex_t lock;
	unsigned int nr_rules; /* atomic fast path */
	struct sgx_inject_rule rules[SGX_INJECT_MAX];
};

/* Per-LP launch-key cache (launch.c, config.launch_cache). */
struct sgx_launch_cache {
	bool valid;
	uint64_t msrs[4];
	uint64_t power_cycle; /* sgx_cpu_power_cycles() when msrs were written */
};

struct sgx_mm_ops;
struct sgx_encl;
struct sgx_vepc;
LIST_HEAD(sgx_encl_list, sgx_encl);
LIST_HEAD(sgx_vepc_list, sgx_vepc);

/*
 * What the reclaimer did, since boot (all updated with relaxed atomics). "Pages" are child pages
 * (REG, TCS, TRIM); the SECS is counted apart.
 */
struct sgx_reclaim_stats {
	uint64_t batches;	  /* sgx_reclaim_pages() runs, ksgxd's and direct ones */
	uint64_t direct_batches;  /* of which run by an allocator that could not wait */
	uint64_t scanned;	  /* pages isolated from the LRU */
	uint64_t second_chance;	  /* isolated, found accessed, put back at the LRU tail */
	uint64_t evicted;	  /* pages written back (EWB) and their EPC pages freed */
	uint64_t loaded;	  /* pages loaded back (ELDU) by the fault path */
	uint64_t secs_evicted;	  /* SECS written back after its last child */
	uint64_t secs_loaded;	  /* SECS loaded back ahead of a child */
	uint64_t ewb_not_tracked; /* EWB answered SGX_NOT_TRACKED: ETRACK, then EWB again */
	uint64_t ewb_kicked;	  /* ... still SGX_NOT_TRACKED: threads forced out, then EWB again */
	uint64_t kicks;		  /* forced AEXes asked of the runtime (the kernel's IPI) */
	uint64_t kick_timeouts;	  /* ... that some thread could not answer (stopped, traced) */
	uint64_t etrack_incomplete; /* ETRACK answered SGX_PREV_TRK_INCMPL */
	uint64_t ewb_conflicts;	  /* EBLOCK/EWB met a leaf holding the page: tried again later */
	uint64_t deferred;	  /* pages set aside blocked until tracking could complete */
	uint64_t ewb_lost;	  /* EWB failed for good (EPC lost): the contents are gone */
	uint64_t eldu_failures;	  /* ELDU refused a blob (MAC, replay, lost EPC): SIGBUS */
	uint64_t backing_failures; /* no backing page could be had: the page stayed resident */
	uint64_t fault_waits;	  /* faults that waited for a write-back or a free EPC page */
};

/*
 * The reclaimer's state (reclaim.c): ksgxd, its wait queue, the futex word that faults waiting
 * for reclaim progress sleep on, and the pages whose write-back is waiting for tracking.
 */
struct sgx_reclaimer {
	pthread_t ksgxd;
	bool running;
	uint32_t wake;	   /* futex: ksgxd's wait queue (a sequence number) */
	uint32_t sleeping; /* ksgxd is (about to be) asleep on `wake` */
	uint32_t stop;
	uint32_t frozen;   /* sgx_reclaimer_freeze(): ksgxd does not reclaim */
	uint32_t idle;	   /* ksgxd is between batches */
	uint32_t progress; /* futex: bumped whenever pages left the EPC or a write-back ended */
	uint32_t waiters;  /* threads sleeping on `progress` */
	/*
	 * Held for reading by every batch, for writing by the invariant checker, which must see
	 * no page half-way through a batch.
	 */
	pthread_rwlock_t batch_lock;
	uint64_t nr_active; /* pages on the LRU: written under reclaimer_lock, read atomically */
	/* Pages blocked and isolated whose EWB is waiting for tracking (under reclaimer_lock). */
	struct sgx_epc_list deferred_list;
	uint64_t nr_deferred; /* written under reclaimer_lock, read atomically */
	struct sgx_reclaim_stats stats;
};

struct sgx_platform {
	struct sgx_cpu *cpu;
	bool own_cpu;
	struct sgxemu_config config;

	unsigned int nr_sections;
	struct sgx_epc_section sections[SGX_MAX_EPC_SECTIONS];
	uint64_t nr_total_pages;
	uint64_t nr_free_pages; /* atomic: sgx_nr_free_pages */

	/* The reclaimer's global active LRU (ref §3.2), under reclaimer_lock. */
	pthread_mutex_t reclaimer_lock;
	struct sgx_epc_list active_page_list;
	/* Frames that stayed dirty after boot's second sanitising pass: never allocated. */
	struct sgx_epc_list dirty_page_list;

	/* Driver state (sgx_drv_init): which nodes exist and the reserved masks. */
	bool have_enclave_dev;
	bool have_provision_dev;
	bool have_vepc_dev;
	bool have_sgx2;
	uint64_t misc_reserved_mask;
	uint64_t attributes_reserved_mask;
	uint64_t xfrm_reserved_mask;

	/* Launch control (launch.c). */
	bool flc;
	struct sgx_launch_cache *launch_cache; /* nr_lps entries, each under its LP's lock */
	unsigned int nr_lps;

	/* Live enclaves, for the checker and `sgxemu info`. */
	pthread_mutex_t encl_list_lock;
	struct sgx_encl_list encl_list;
	unsigned int nr_encls;
	uint64_t next_encl_id;

	/* Virtual EPC instances (virt.c), and the SECS pages no release could free yet (ref §3.5). */
	pthread_mutex_t vepc_list_lock;
	struct sgx_vepc_list vepc_list;
	pthread_mutex_t zombie_secs_lock;
	struct sgx_epc_list zombie_secs_pages;

	/* Suspend and resume (power.c). */
	struct sgx_pm_state pm;

	/* The runtime's callbacks (mm.h); NULL until it registers. */
	const struct sgx_mm_ops *mm_ops;
	void *mm_priv;

	struct sgx_pause_state pause;
	struct sgx_inject_state inject;
	uint32_t warned; /* enum sgx_warn_once bits, atomic */

	struct sgx_reclaimer reclaimer;

	/* Test-only switches that take a safety measure out, to show what it protects against. */
	struct {
		/* sgx_virt_einit() leaves the host's launch-key cache alone (seed 000's bug). */
		bool virt_einit_keeps_launch_cache;
	} test_hooks;
};

/* --- boot and shutdown (main.c) ---------------------------------------------------------- */

/*
 * Boots a platform on a new CPU built from config: discovers the EPC sections through CPUID,
 * sanitises every frame, and brings up the device nodes the CPU supports. Returns NULL with
 * errno set (EINVAL for an invalid configuration, with the reason in err; ENOMEM) on failure.
 */
struct sgx_platform *sgx_platform_create(const struct sgxemu_config *config, char *err,
					 size_t errlen);
/*
 * Boots a platform on an existing CPU whose EPC may still hold pages (a kexec: the previous
 * kernel's enclaves are still in the EPCM). Sanitising then meets SECS pages that answer
 * SGX_CHILD_PRESENT in the first pass. The platform does not own the CPU.
 */
struct sgx_platform *sgx_platform_create_on(struct sgx_cpu *cpu, char *err, size_t errlen);
/* Tears every enclave down (EREMOVE, leak warnings), frees the platform and, if owned, the CPU. */
void sgx_platform_destroy(struct sgx_platform *platform);
/*
 * Frees the platform's bookkeeping without running a single ENCLS, leaving the EPC as it is, and
 * returns the CPU to the caller: the "old kernel" half of a kexec test. Enclaves of this platform
 * must not be used afterwards.
 */
struct sgx_cpu *sgx_platform_abandon(struct sgx_platform *platform);

/* --- EPC pages (main.c) ------------------------------------------------------------------ */

/*
 * sgx_alloc_epc_page() (ref §4.2): a free page, owned by owner. When none is free: -ENOMEM if the
 * LRU is empty (nothing could be reclaimed); without reclaim, -EBUSY ("retry the fault"); with
 * reclaim, -ERESTARTSYS if a signal is pending, else the caller runs reclaim batches itself until
 * a page is free. Callers that may reclaim must hold no enclave lock (the batch zaps PTEs and
 * takes enclave locks). ksgxd is woken when fewer than SGX_NR_LOW_PAGES are left.
 */
struct sgx_epc_page *sgx_alloc_epc_page(struct sgx_platform *platform, void *owner,
					enum sgx_epc_owner_kind kind, bool reclaim);
/* Returns a page already made invalid (EREMOVE, EWB) to its free list. */
void sgx_free_epc_page(struct sgx_platform *platform, struct sgx_epc_page *page);
/*
 * The enclave variant: EREMOVE first; if EREMOVE fails, warn once with the kernel's leak message
 * and never free the page (ref §4.2, seed 004). Returns the EREMOVE result.
 */
int sgx_encl_free_epc_page(struct sgx_platform *platform, struct sgx_epc_page *page);

/* A page that can never be freed (its EREMOVE failed): off every list, never reused. */
void sgx_epc_page_leak(struct sgx_platform *platform, struct sgx_epc_page *page);

/*
 * arch_memory_failure() (ref §4.11): the memory controller reported an error in the EPC page at
 * paddr. A free page goes to the poison list at once; a page in use leaves the reclaimer's LRU
 * (so EWB never reads it) and its mappings are zapped, so that the next access consumes the error
 * (the fault path answers SGX_FAULT_HWPOISON and the runtime delivers the machine check's
 * SIGBUS); it goes to the poison list when it is freed. SGX_MF_ACTION_REQUIRED (the error was
 * consumed synchronously by the calling thread) also forces SIGBUS on the caller. Returns 0
 * (also for a page already poisoned), or -ENXIO if paddr is not EPC.
 */
int sgx_memory_failure(struct sgx_platform *platform, sgx_paddr_t paddr, int flags);

static inline bool sgx_epc_page_poisoned(const struct sgx_epc_page *page)
{
	return __atomic_load_n(&page->poison, __ATOMIC_ACQUIRE);
}

struct sgx_epc_page *sgx_epc_page_lookup(struct sgx_platform *platform, sgx_paddr_t paddr);

/* The reclaimer's LRU: append a page the reclaimer may evict; take it off again. */
void sgx_mark_page_reclaimable(struct sgx_platform *platform, struct sgx_epc_page *page);
/* -EBUSY if the reclaimer has isolated the page (it owns it now). */
int sgx_unmark_page_reclaimable(struct sgx_platform *platform, struct sgx_epc_page *page);
bool sgx_active_list_empty(struct sgx_platform *platform);

/* --- the reclaimer (reclaim.c, ref §4.6) --------------------------------------------------- */

/* Fewer than watermark free pages, and something on the LRU to reclaim. */
bool sgx_should_reclaim(struct sgx_platform *platform, uint64_t watermark);
/*
 * Starts ksgxd (at boot) and stops it (at shutdown, after its current batch). At shutdown the
 * deferred pages are then given back to their enclaves (release_deferred), and free drops the
 * reclaimer's own state.
 */
void sgx_reclaimer_init(struct sgx_platform *platform);
int sgx_reclaimer_start(struct sgx_platform *platform);
void sgx_reclaimer_stop(struct sgx_platform *platform);
void sgx_reclaimer_release_deferred(struct sgx_platform *platform);
void sgx_reclaimer_free(struct sgx_platform *platform);
/* wake_up(&ksgxd_waitq). */
void sgx_reclaimer_wake(struct sgx_platform *platform);
/*
 * One batch (sgx_reclaim_pages): isolate up to SGX_NR_TO_SCAN pages from the head of the LRU,
 * give accessed ones a second chance, write the others back. Returns the EPC pages it freed.
 * No enclave lock may be held.
 */
unsigned int sgx_reclaim_pages(struct sgx_platform *platform);
/* sgx_reclaim_direct(): one batch if fewer than SGX_NR_LOW_PAGES are free (SGX2 ioctls). */
void sgx_reclaim_direct(struct sgx_platform *platform);
/*
 * ksgxd is freezable, as the kernel's: frozen, it finishes its batch and reclaims nothing until
 * thawed (direct reclaim still works). Tests freeze it to stage the LRU deterministically.
 */
void sgx_reclaimer_freeze(struct sgx_platform *platform);
void sgx_reclaimer_thaw(struct sgx_platform *platform);
/* The futex word faults sleep on while a write-back or a free page is pending. */
uint32_t sgx_reclaim_progress(struct sgx_platform *platform);

/* An ENCLS logical processor, with the lock order recorded. */
struct sgx_lp *sgx_get_lp(struct sgx_platform *platform);
void sgx_put_lp(struct sgx_lp *lp);

/* True for an ENCLS result that is an actual failure worth a warning (the kernel's encls_failed). */
bool sgx_encls_failed(const struct sgx_platform *platform, int ret);

/* WARN_ONCE for this boot: true the first time only. */
bool sgx_platform_warn_first(struct sgx_platform *platform, enum sgx_warn_once which);

/* --- fault injection (inject.c) ---------------------------------------------------------- */

/*
 * Make the kernel layer's next `count` calls of leaf on frame (or on any frame) answer ret
 * instead of running the leaf: EREMOVE failing for chosen frames, EPA or EEXTEND faulting, ...
 * The leaf is not executed, so the EPCM is left exactly as a failing leaf would leave it.
 */
int sgx_inject_encls(struct sgx_platform *platform, unsigned int leaf, sgx_paddr_t frame, int ret,
		     unsigned int count);
void sgx_inject_clear(struct sgx_platform *platform);
/*
 * The configuration's fault injection (inject-eremove, inject-poison, inject-einit-unmasked),
 * applied once the platform has booted (sanitising must not meet it). 0, or -EINVAL with the
 * reason in err (a frame that is not EPC).
 */
int sgx_platform_apply_injection(struct sgx_platform *platform, char *err, size_t errlen);
/* Called at each ENCLS site: true (and *ret set) if a rule fires. */
bool __sgx_inject_hit(struct sgx_platform *platform, unsigned int leaf, sgx_paddr_t frame,
		      int *ret);
static inline bool sgx_inject_hit(struct sgx_platform *platform, unsigned int leaf,
				  sgx_paddr_t frame, int *ret)
{
	if (!__atomic_load_n(&platform->inject.nr_rules, __ATOMIC_ACQUIRE))
		return false;
	return __sgx_inject_hit(platform, leaf, frame, ret);
}

/* --- the invariant checker (check.c) and observability (info.c) --------------------------- */

/*
 * Checks, without changing anything:
 *  - per section: free + allocated + leaked + dirty + poisoned = total, and the free and poison
 *    lists match their counts;
 *  - every allocated page has an owner that points back at it (enclaves, vEPC instances, the
 *    zombie SECS list); guest pages are never on the reclaimer's LRU;
 *  - the EPCM is valid exactly for owned enclave pages, with the type, address and SECS the owner
 *    implies (free pages are invalid; leaked, dirty and guest pages may be anything; pages of an
 *    enclave created before the last power cycle may be invalid);
 *  - every CPU page-table entry at an enclave page's address points at a valid frame holding
 *    that address for an enclave (or at a frame that enclave lost in a power cycle), and pages
 *    of live enclaves are where their records say.
 * Returns 0, or -1 with the first violation described in err. Safe to call at any quiescent
 * point; it takes the enclave locks one at a time.
 */
int sgx_platform_check(struct sgx_platform *platform, char *err, size_t errlen);

struct sgx_section_stats {
	sgx_paddr_t base;
	uint64_t total_bytes; /* sgx_total_bytes */
	uint64_t free_bytes;
	uint64_t leaked_pages;
	uint64_t dirty_pages;
	uint64_t poisoned_pages;
};

struct sgx_platform_stats {
	unsigned int nr_sections;
	struct sgx_section_stats sections[SGX_MAX_EPC_SECTIONS];
	uint64_t total_pages;
	uint64_t free_pages;
	uint64_t leaked_pages;
	uint64_t poisoned_pages;
	unsigned int nr_enclaves;
	uint64_t encl_pages;	 /* resident child pages over all enclaves */
	uint64_t evicted_pages;	 /* child pages in backing stores over all enclaves */
	uint64_t evicted_secs;	 /* enclaves whose SECS is in its backing store */
	unsigned int nr_vepcs;
	uint64_t vepc_pages;   /* frames held by live vEPC instances */
	uint64_t zombie_pages; /* SECS frames of released vEPCs that could not be EREMOVEd yet */
	uint64_t suspends;     /* completed sgx_platform_suspend() calls */
	uint64_t va_pages;
	uint64_t lru_pages;	 /* on the reclaimer's LRU */
	uint64_t deferred_pages; /* blocked, waiting for tracking to complete */
	struct sgx_reclaim_stats reclaim;
	struct sgx_cpu_stats cpu; /* ENCLS/ENCLU leaf counts, MSR writes, power cycles */
};

void sgx_platform_get_stats(struct sgx_platform *platform, struct sgx_platform_stats *stats);
/* What `sgxemu info` prints for a booted platform: configuration, EPC, enclaves, statistics. */
void sgx_platform_print_info(struct sgx_platform *platform, FILE *out);
/* The statistics alone (`sgxemu stat`, and at exit with config.stats_at_exit). */
void sgx_platform_print_stats(struct sgx_platform *platform, FILE *out);

/* --- the process-default platform (driver.c) ---------------------------------------------- */

/* The default platform, booted from the environment on first use; NULL if that boot failed. */
struct sgx_platform *sgx_default_platform(void);
/* The default platform if it has been booted, without booting it (NULL otherwise). */
struct sgx_platform *sgx_default_platform_booted(void);

#endif /* SGXEMU_KERNEL_SGX_H */
