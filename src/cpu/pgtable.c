/* SPDX-License-Identifier: MIT */
/*
 * The CPU's linear -> EPC page table: a 4-level radix tree over 48-bit linear addresses, 9 bits a
 * level as x86-64 paging. A leaf entry holds the frame's address, the mapping's PROT_* bits and a
 * present bit, in one 64-bit word written and read atomically.
 *
 * Lookups take no lock and allocate nothing (they run inside signal handlers on the enclave
 * path). Writers take a mutex only to allocate tables; a table, once linked, stays until the
 * processor is destroyed, so a concurrent walker never follows a freed pointer.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1U << PT_BITS)
#define PT_VA_BITS 48

#define PTE_PROT_MASK 0x7ULL /* PROT_READ | PROT_WRITE | PROT_EXEC */
#define PTE_PRESENT (1ULL << 11)
#define PTE_ADDR_MASK (~0xFFFULL)

_Static_assert(PROT_READ == 1 && PROT_WRITE == 2 && PROT_EXEC == 4, "PROT bits fit PTE bits 2:0");

struct sgx_pgtable {
	pthread_mutex_t lock;
	uint64_t *root;
};

static unsigned int pt_index(uint64_t linaddr, int level)
{
	/* level 3 is the root (bits 47:39), level 0 holds the leaf entries (bits 20:12). */
	return (unsigned int)(linaddr >> (SGX_PAGE_SHIFT + PT_BITS * level)) & (PT_ENTRIES - 1);
}

static uint64_t *table_alloc(void)
{
	return calloc(PT_ENTRIES, sizeof(uint64_t));
}

int sgx_pgtable_init(struct sgx_cpu *cpu)
{
	struct sgx_pgtable *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return -1;
	pt->root = table_alloc();
	if (!pt->root) {
		free(pt);
		return -1;
	}
	pthread_mutex_init(&pt->lock, NULL);
	cpu->pgtable = pt;
	return 0;
}

static void table_free(uint64_t *table, int level)
{
	if (level > 0)
		for (unsigned int i = 0; i < PT_ENTRIES; i++)
			if (table[i])
				table_free((uint64_t *)(uintptr_t)table[i], level - 1);
	free(table);
}

void sgx_pgtable_destroy(struct sgx_cpu *cpu)
{
	struct sgx_pgtable *pt = cpu->pgtable;

	if (!pt)
		return;
	table_free(pt->root, PT_LEVELS - 1);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
	cpu->pgtable = NULL;
}

static bool linaddr_ok(uint64_t linaddr)
{
	return linaddr < (1ULL << PT_VA_BITS);
}

/* The leaf entry for linaddr, or NULL if a table on the way is missing (and !alloc). */
static uint64_t *walk(struct sgx_pgtable *pt, uint64_t linaddr, bool alloc)
{
	uint64_t *table = pt->root;

	for (int level = PT_LEVELS - 1; level > 0; level--) {
		uint64_t *slot = &table[pt_index(linaddr, level)];
		uint64_t next = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (!next) {
			uint64_t *fresh;

			if (!alloc)
				return NULL;
			/* Writers are serialized (pt->lock), so nobody can link this slot meanwhile. */
			fresh = table_alloc();
			if (!fresh)
				return NULL;
			next = (uint64_t)(uintptr_t)fresh;
			__atomic_store_n(slot, next, __ATOMIC_RELEASE);
		}
		table = (uint64_t *)(uintptr_t)next;
	}
	return &table[pt_index(linaddr, 0)];
}

void sgx_pt_set(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t frame, unsigned int prot)
{
	struct sgx_pgtable *pt = cpu->pgtable;
	uint64_t *entry;

	if (!linaddr_ok(linaddr)) {
		pr_warn("page table: linear address %#llx is beyond 48 bits\n",
			(unsigned long long)linaddr);
		return;
	}
	pthread_mutex_lock(&pt->lock);
	entry = walk(pt, linaddr, true);
	if (entry)
		__atomic_store_n(entry,
				 (frame & PTE_ADDR_MASK) | (prot & PTE_PROT_MASK) | PTE_PRESENT,
				 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pt->lock);
	if (!entry)
		pr_err("page table: out of memory mapping %#llx\n", (unsigned long long)linaddr);
}

void sgx_pt_clear(struct sgx_cpu *cpu, uint64_t linaddr)
{
	uint64_t *entry;

	if (!linaddr_ok(linaddr))
		return;
	entry = walk(cpu->pgtable, linaddr, false);
	if (entry)
		__atomic_store_n(entry, 0, __ATOMIC_RELEASE);
}

bool sgx_pgtable_walk(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t *frame, unsigned int *prot)
{
	uint64_t *entry, pte;

	if (!linaddr_ok(linaddr))
		return false;
	entry = walk(cpu->pgtable, linaddr, false);
	if (!entry)
		return false;
	pte = __atomic_load_n(entry, __ATOMIC_ACQUIRE);
	if (!(pte & PTE_PRESENT))
		return false;
	if (frame)
		*frame = pte & PTE_ADDR_MASK;
	if (prot)
		*prot = (unsigned int)(pte & PTE_PROT_MASK);
	return true;
}

bool sgx_pt_lookup(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t *frame, unsigned int *prot)
{
	return sgx_pgtable_walk(cpu, linaddr, frame, prot);
}

/* Clears [start, end) below table, which covers the addresses from base at this level. */
static void clear_range(uint64_t *table, int level, uint64_t base, uint64_t start, uint64_t end)
{
	uint64_t span = 1ULL << (SGX_PAGE_SHIFT + PT_BITS * level);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		uint64_t lo = base + i * span, hi = lo + span;
		uint64_t v;

		if (hi <= start || lo >= end)
			continue;
		v = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		if (!v)
			continue;
		if (level == 0)
			__atomic_store_n(&table[i], 0, __ATOMIC_RELEASE);
		else
			clear_range((uint64_t *)(uintptr_t)v, level - 1, lo, start, end);
	}
}

void sgx_pgtable_clear_range(struct sgx_cpu *cpu, uint64_t start, uint64_t end)
{
	if (end > (1ULL << PT_VA_BITS))
		end = 1ULL << PT_VA_BITS;
	if (start >= end)
		return;
	clear_range(cpu->pgtable->root, PT_LEVELS - 1, 0, start & PTE_ADDR_MASK, end);
}
