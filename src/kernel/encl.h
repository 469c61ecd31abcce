/* SPDX-License-Identifier: MIT */
/*
 * Enclaves as the kernel keeps them (ref §3.3): struct sgx_encl, its pages (struct sgx_encl_page,
 * in a page array keyed by virtual PFN), its VA pages, and the lifetime rules (a refcount; the
 * last reference tears everything down, ref §4.9).
 */
#ifndef SGXEMU_KERNEL_ENCL_H
#define SGXEMU_KERNEL_ENCL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "kernel/backing.h"
#include "kernel/mm.h"
#include "kernel/pagemap.h"
#include "kernel/sgx.h"

/* encl->flags bits (atomic) */
enum sgx_encl_flags {
	SGX_ENCL_IOCTL = 1UL << 0,
	SGX_ENCL_DEBUG = 1UL << 1,
	SGX_ENCL_CREATED = 1UL << 2,
	SGX_ENCL_INITIALIZED = 1UL << 3,
};

/* sgx_encl_page.desc: the page address, plus the VA slot offset while swapped out. */
#define SGX_ENCL_PAGE_BEING_RECLAIMED (1ULL << 3)
#define SGX_ENCL_PAGE_VA_OFFSET_MASK 0xFF8ULL
#define SGX_ENCL_PAGE_ADDR_MASK (~0xFFFULL)

struct sgx_encl_va_page;

struct sgx_encl_page {
	uint64_t desc;
	uint8_t vm_max_prot_bits;      /* SGX_VM_READ | SGX_VM_WRITE | SGX_VM_EXEC */
	/*
	 * The PTE's accessed bit, emulated (DESIGN.md): set when the fault path maps the page,
	 * cleared by the reclaimer, which then zaps the page so that the next access faults and
	 * sets it again. Under the enclave lock.
	 */
	uint8_t accessed;
	uint16_t type;		       /* enum sgx_page_type */
	struct sgx_epc_page *epc_page; /* NULL while swapped out */
	struct sgx_encl *encl;
	/*
	 * Holds the version while swapped out. NULL for a page that is neither resident nor in the
	 * backing store (its write-back failed for good, as after an EPC loss): ELDU cannot load it.
	 */
	struct sgx_encl_va_page *va_page;
};

static inline uint64_t sgx_encl_page_addr(const struct sgx_encl_page *page)
{
	return page->desc & SGX_ENCL_PAGE_ADDR_MASK;
}

/*
 * The kernel's struct sgx_va_page (that name is taken by the architectural VA page layout in
 * <sgxemu/arch.h>): an EPC page of version slots, a bitmap of the slots in use, and its place on
 * encl->va_pages (the first VA page is the one slots are taken from).
 */
struct sgx_encl_va_page {
	struct sgx_epc_page *epc_page;
	uint64_t slots[SGX_VA_SLOT_COUNT / 64];
	TAILQ_ENTRY(sgx_encl_va_page) list;
};

TAILQ_HEAD(sgx_encl_va_list, sgx_encl_va_page);

struct sgx_encl {
	struct sgx_platform *platform;
	uint64_t id; /* for `sgxemu info` and messages */
	uint64_t base;
	uint64_t size;
	unsigned long flags;	     /* enum sgx_encl_flags, atomic */
	unsigned int page_cnt;	     /* SECS + pages: drives VA page allocation */
	unsigned int secs_child_cnt; /* resident child pages */
	pthread_mutex_t lock;
	struct sgx_pagemap page_array; /* virtual PFN -> struct sgx_encl_page */
	struct sgx_encl_page secs;
	uint64_t attributes;
	uint64_t attributes_mask;
	uint64_t xfrm;
	/* sgx_cpu_power_cycles() at CREATE: an older enclave lost its EPC pages (ref §4.12). */
	uint64_t power_cycle;
	/* The CPU's storage for the child pages, mapped by the runtime at ELRANGE (a reference). */
	struct sgx_slice *slice;
	/* Where evicted pages go (backing.c): created by the first eviction, freed with us. */
	struct sgx_backing_store backing;
	unsigned int nr_evicted; /* child pages in the backing store, under lock */
	uint32_t refcount; /* atomic */
	struct sgx_encl_va_list va_pages;
	LIST_ENTRY(sgx_encl) link; /* platform->encl_list */
};

static inline bool sgx_encl_test_flag(struct sgx_encl *encl, unsigned long flag)
{
	return __atomic_load_n(&encl->flags, __ATOMIC_ACQUIRE) & flag;
}

static inline void sgx_encl_set_flag(struct sgx_encl *encl, unsigned long flag)
{
	__atomic_fetch_or(&encl->flags, flag, __ATOMIC_RELEASE);
}

static inline void sgx_encl_clear_flag(struct sgx_encl *encl, unsigned long flag)
{
	__atomic_fetch_and(&encl->flags, ~flag, __ATOMIC_RELEASE);
}

/* test_and_set_bit(): true if the flag was already set. */
static inline bool sgx_encl_test_and_set_flag(struct sgx_encl *encl, unsigned long flag)
{
	return __atomic_fetch_or(&encl->flags, flag, __ATOMIC_ACQ_REL) & flag;
}

/* kref_get_unless_zero(): false if the enclave is already being released. */
static inline bool sgx_encl_get_unless_zero(struct sgx_encl *encl)
{
	uint32_t refs = __atomic_load_n(&encl->refcount, __ATOMIC_RELAXED);

	while (refs)
		if (__atomic_compare_exchange_n(&encl->refcount, &refs, refs + 1, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

static inline void sgx_encl_lock(struct sgx_encl *encl)
{
	sgx_mutex_lock(&encl->lock, SGX_LOCK_ENCL);
}

static inline void sgx_encl_unlock(struct sgx_encl *encl)
{
	sgx_mutex_unlock(&encl->lock, SGX_LOCK_ENCL);
}

/* open(/dev/sgx_enclave): a zeroed enclave with one reference. NULL if out of memory. */
struct sgx_encl *sgx_encl_alloc(struct sgx_platform *platform);
/* The last reference is gone: EREMOVE everything and free (ref §4.9). */
void sgx_encl_release(struct sgx_encl *encl);
/* Free the bookkeeping without touching the EPC (sgx_platform_abandon). */
void sgx_encl_abandon(struct sgx_encl *encl);

/* VA pages (ref §4.2). */
struct sgx_epc_page *sgx_alloc_va_page(struct sgx_platform *platform,
				       struct sgx_encl_va_page *owner, bool reclaim);
/* The first free slot's offset (slot * 8), or SGX_VA_SLOT_COUNT * 8 if the page is full. */
unsigned int sgx_alloc_va_slot(struct sgx_encl_va_page *va_page);
void sgx_free_va_slot(struct sgx_encl_va_page *va_page, unsigned int offset);
bool sgx_va_page_full(struct sgx_encl_va_page *va_page);
bool sgx_va_slot_used(const struct sgx_encl_va_page *va_page, unsigned int offset);
/* A new VA page whenever page_cnt % 512 == 0 (NULL otherwise); page_cnt++ in every case. */
struct sgx_encl_va_page *sgx_encl_grow(struct sgx_encl *encl, bool reclaim);
/* Undo a grow: page_cnt--, and free the VA page if one was made (unlinked if it was linked). */
void sgx_encl_shrink(struct sgx_encl *encl, struct sgx_encl_va_page *va_page);

/*
 * Calls fn for each page of encl in [start, end) until it returns false; returns false if it was
 * stopped. Enclave lock held.
 */
typedef bool (*sgx_encl_page_fn)(struct sgx_encl_page *page, void *arg);
bool sgx_encl_for_each_page_in(struct sgx_encl *encl, uint64_t start, uint64_t end,
			       sgx_encl_page_fn fn, void *arg);

/*
 * Zap [start, end) of this enclave: clear the CPU's page-table entries of its pages there, then
 * ask the runtime to drop the host PTEs. Must not be called with the enclave lock held.
 */
void sgx_encl_zap(struct sgx_encl *encl, uint64_t start, uint64_t end);
/* Clear the CPU PTE at addr if (and only if) it points at this enclave page's frame. */
void sgx_encl_pt_clear_page(struct sgx_encl *encl, struct sgx_encl_page *page);

/*
 * A new page record at offset (relative to the base) with the maximum protection that SECINFO
 * flags imply (ref §3.3): R/W/X as given, a TCS always RW, an EAUG page RWX. ERR_PTR(-ENOMEM).
 */
struct sgx_encl_page *sgx_encl_page_alloc(struct sgx_encl *encl, uint64_t offset,
					  uint64_t secinfo_flags);

/*
 * The ETRACK flow of the SGX2 ioctls (sgx_enclave_etrack, ref §4.8, sgx2.c): ETRACK; if it fails,
 * log once, kick and ETRACK again (a second failure is -EFAULT); then always kick. Called without
 * the enclave lock, which it takes around each ETRACK and drops for the kicks.
 */
int sgx_enclave_etrack(struct sgx_encl *encl);

/* The frame holding addr's page, for tests and introspection; 0 if none is resident. */
sgx_paddr_t sgx_encl_page_frame(struct sgx_encl *encl, uint64_t addr);

/*
 * sgx_encl_load_page(): the page at addr, made resident (ref §4.7 step 4: ELDU of the SECS first
 * if it was evicted, then of the page). Enclave lock held. ERR_PTR(-EFAULT) for no page or a
 * page that cannot be loaded (ELDU refused it), -EBUSY while its write-back is in flight or no
 * EPC page is free right now (retry), -ENOMEM if the EPC is full of pages nobody can reclaim.
 * The SGX2 ioctls load pages with it, without the fault path's permission check.
 */
struct sgx_encl_page *sgx_encl_load_page(struct sgx_encl *encl, uint64_t addr);

/* --- paging (paging.c) --------------------------------------------------------------------- */

/*
 * ELDU encl_page (a child with secs_page resident, or the SECS with secs_page NULL) from its
 * backing page and VA slot into a new EPC page, allocated without reclaim. On success the slot
 * is free, its VA page goes to the head of va_pages and encl_page->epc_page is set; the child
 * count and the LRU are the caller's business. Either way the blob is gone from the backing
 * store (a refused blob is never offered again). Enclave lock held.
 */
struct sgx_epc_page *sgx_encl_eldu(struct sgx_encl_page *encl_page,
				   struct sgx_epc_page *secs_page);
/*
 * A VA slot for a write-back, from the first VA page (moved to the tail once full), and back
 * (the VA page moves to the head, so that free slots stay at the front). Enclave lock held.
 */
struct sgx_encl_va_page *sgx_encl_take_va_slot(struct sgx_encl *encl, unsigned int *offset);
void sgx_encl_give_va_slot(struct sgx_encl *encl, struct sgx_encl_va_page *va_page,
			   unsigned int offset);
/*
 * One EWB of epc_page into the backing page and the VA slot (no retries): 0, an SGX_* code or a
 * fault, as the leaf answers. Enclave lock held.
 */
int __sgx_encl_ewb(struct sgx_encl *encl, struct sgx_epc_page *epc_page,
		   struct sgx_backing *backing, struct sgx_encl_va_page *va_page,
		   unsigned int va_offset);
/* ETRACK on the enclave's SECS, counted and warned about as the kernel does. Lock held. */
int sgx_encl_etrack(struct sgx_encl *encl);

/* --- reclaim (reclaim.c) ------------------------------------------------------------------- */

/*
 * The kernel's IPI to the enclave's CPU mask (on_each_cpu_mask(sgx_encl_cpumask(encl), ...)):
 * every thread executing inside encl takes an AEX (and comes back in a new epoch), so that
 * tracking started by an ETRACK can complete. Used by the reclaimer's EWB ladder and the SGX2
 * ETRACK flow. No enclave lock may be held (the runtime waits for the threads, and one may be
 * waiting for the enclave lock in the fault path). Counted in the reclaimer's statistics.
 * 0, or -ETIMEDOUT if some thread inside did not leave within the runtime's bound (stopped,
 * traced, or not scheduled in time on a loaded machine).
 */
int sgx_encl_kick(struct sgx_encl *encl);

/*
 * Evicts the resident child pages of encl in [start, end) now, accessed or not, through the
 * reclaimer's own block and write-back path (and the SECS after the last child, as usual).
 * Pages the reclaimer has isolated already are skipped. Returns the number evicted. For tests
 * and tools (the kernel has no such call: its LRU decides); no lock may be held. encl must be
 * alive at the call; the call holds its own reference, so the caller may let go of it meanwhile.
 */
unsigned int sgx_encl_reclaim_range(struct sgx_encl *encl, uint64_t start, uint64_t end);

#endif /* SGXEMU_KERNEL_ENCL_H */
