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
	uint16_t type;		       /* enum sgx_page_type */
	struct sgx_epc_page *epc_page; /* NULL while swapped out */
	struct sgx_encl *encl;
	struct sgx_encl_va_page *va_page; /* holds the version while swapped out */
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
unsigned int sgx_alloc_va_slot(struct sgx_encl_va_page *va_page);
void sgx_free_va_slot(struct sgx_encl_va_page *va_page, unsigned int offset);
bool sgx_va_page_full(struct sgx_encl_va_page *va_page);
/* A new VA page whenever page_cnt % 512 == 0 (NULL otherwise); page_cnt++ in every case. */
struct sgx_encl_va_page *sgx_encl_grow(struct sgx_encl *encl, bool reclaim);
/* Undo a grow: page_cnt--, and free the VA page if one was made (unlinked if it was linked). */
void sgx_encl_shrink(struct sgx_encl *encl, struct sgx_encl_va_page *va_page);

/*
 * Zap [start, end) of this enclave: clear the CPU's page-table entries of its pages there, then
 * ask the runtime to drop the host PTEs. Must not be called with the enclave lock held.
 */
void sgx_encl_zap(struct sgx_encl *encl, uint64_t start, uint64_t end);
/* Clear the CPU PTE at addr if (and only if) it points at this enclave page's frame. */
void sgx_encl_pt_clear_page(struct sgx_encl *encl, struct sgx_encl_page *page);

/* The frame holding addr's page, for tests and introspection; 0 if none is resident. */
sgx_paddr_t sgx_encl_page_frame(struct sgx_encl *encl, uint64_t addr);

#endif /* SGXEMU_KERNEL_ENCL_H */
