/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker: the kernel's bookkeeping (sections, free lists, enclaves and their
 * pages), the processor's EPCM and the CPU page table must tell the same story. Tests call it
 * after every scenario; a failure names the first disagreement.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/encl.h"
#include "kernel/virt.h"

struct sgx_check {
	struct sgx_platform *platform;
	uint8_t *claimed; /* one bit per frame: an enclave's records point at it */
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static bool sgx_check_fail(struct sgx_check *c,
								 const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return false;
	c->failed = true;
	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* The page's index over all sections (sections are checked in order, pages in order). */
static uint64_t sgx_check_index(struct sgx_platform *platform, const struct sgx_epc_page *page)
{
	uint64_t index = 0;

	for (unsigned int i = 0; i < page->section; i++)
		index += platform->sections[i].nr_pages;
	return index + (uint64_t)(page - platform->sections[page->section].pages);
}

static bool sgx_check_claim(struct sgx_check *c, const struct sgx_epc_page *page, const char *what)
{
	uint64_t index = sgx_check_index(c->platform, page);

	if (c->claimed[index / 8] & (1U << (index % 8)))
		return sgx_check_fail(c, "frame 0x%llx is claimed twice (again as %s)",
				      (unsigned long long)page->paddr, what);
	c->claimed[index / 8] |= (uint8_t)(1U << (index % 8));
	if (page->flags & (SGX_EPC_PAGE_IS_FREE | SGX_EPC_PAGE_LEAKED | SGX_EPC_PAGE_DIRTY |
			   SGX_EPC_PAGE_POISONED))
		return sgx_check_fail(c, "%s frame 0x%llx is not allocated (flags 0x%x)", what,
				      (unsigned long long)page->paddr, page->flags);
	return true;
}

/*
 * An owned frame must be valid in the EPCM with what its owner says, unless the EPC was lost
 * (a power cycle since the enclave was created): then the kernel still holds the frame until the
 * enclave is torn down, and the EPCM entry is simply invalid (ref §4.12).
 */
static bool sgx_check_epcm(struct sgx_check *c, const struct sgx_epc_page *page, unsigned int type,
			   uint64_t linaddr, sgx_paddr_t secs, bool lost, const char *what)
{
	struct sgx_epcm_info info;

	if (!sgx_cpu_epcm_read(c->platform->cpu, page->paddr, &info))
		return sgx_check_fail(c, "%s frame 0x%llx is not EPC", what,
				      (unsigned long long)page->paddr);
	if (!info.valid && lost)
		return true;
	if (!info.valid)
		return sgx_check_fail(c, "%s frame 0x%llx is owned but invalid in the EPCM", what,
				      (unsigned long long)page->paddr);
	if (info.page_type != type)
		return sgx_check_fail(c, "%s frame 0x%llx has EPCM type %u, expected %u", what,
				      (unsigned long long)page->paddr, info.page_type, type);
	if (info.linaddr != linaddr || info.secs != secs)
		return sgx_check_fail(c,
				      "%s frame 0x%llx: EPCM says address 0x%llx of SECS 0x%llx, "
				      "the kernel says 0x%llx of 0x%llx",
				      what, (unsigned long long)page->paddr,
				      (unsigned long long)info.linaddr,
				      (unsigned long long)info.secs, (unsigned long long)linaddr,
				      (unsigned long long)secs);
	return true;
}

/* A CPU PTE at addr must point at a valid frame that an enclave holds for that address. */
static bool sgx_check_pte(struct sgx_check *c, uint64_t addr)
{
	struct sgx_platform *platform = c->platform;
	struct sgx_epc_page *target;
	struct sgx_epcm_info info;
	unsigned int prot;
	sgx_paddr_t frame;

	if (!sgx_pt_lookup(platform->cpu, addr, &frame, &prot))
		return true;
	target = sgx_epc_page_lookup(platform, frame);
	if (!target)
		return sgx_check_fail(c, "PTE at 0x%llx points outside the EPC (0x%llx)",
				      (unsigned long long)addr, (unsigned long long)frame);
	if (target->owner_kind != SGX_EPC_OWNER_ENCL_PAGE ||
	    (target->flags & (SGX_EPC_PAGE_IS_FREE | SGX_EPC_PAGE_LEAKED | SGX_EPC_PAGE_DIRTY |
			      SGX_EPC_PAGE_POISONED)))
		return sgx_check_fail(c,
				      "PTE at 0x%llx points at frame 0x%llx, which no enclave "
				      "page owns",
				      (unsigned long long)addr, (unsigned long long)frame);
	/*
	 * After EPC loss the kernel still maps the frames it holds (real page tables survive S3),
	 * and an access meets the invalid EPCM entry: that is the #PF the SDK waits for.
	 */
	if (sgx_cpu_epcm_read(platform->cpu, frame, &info) && !info.valid &&
	    ((struct sgx_encl_page *)target->owner)->encl->power_cycle !=
		    sgx_cpu_power_cycles(platform->cpu))
		return true;
	if (!sgx_cpu_epcm_read(platform->cpu, frame, &info) || !info.valid || info.linaddr != addr)
		return sgx_check_fail(c,
				      "PTE at 0x%llx points at frame 0x%llx, whose EPCM entry "
				      "is not that page",
				      (unsigned long long)addr, (unsigned long long)frame);
	return true;
}

/*
 * Paging state of one page: a page BEING_RECLAIMED is resident and waits on the deferred list
 * (no batch is in flight while the checker runs); a page out of the EPC holds exactly one VA slot
 * of one of its enclave's VA pages, which nobody else holds. Enclave lock held.
 */
struct sgx_check_slots {
	struct sgx_encl_va_page **va_pages;
	unsigned int nr_va;
	uint8_t *claimed; /* nr_va * 512 bits */
	unsigned int nr_claimed;
};

static bool sgx_check_slot(struct sgx_check *c, struct sgx_check_slots *slots,
			   const struct sgx_encl_page *page, const char *what)
{
	unsigned int offset = page->desc & SGX_ENCL_PAGE_VA_OFFSET_MASK, i, bit;

	for (i = 0; i < slots->nr_va && slots->va_pages[i] != page->va_page; i++)
		;
	if (i == slots->nr_va)
		return sgx_check_fail(c, "%s is out of the EPC with a VA page its enclave lacks",
				      what);
	if (!sgx_va_slot_used(page->va_page, offset))
		return sgx_check_fail(c, "%s is out of the EPC but its VA slot %u is free", what,
				      offset >> 3);
	bit = i * SGX_VA_SLOT_COUNT + (offset >> 3);
	if (slots->claimed[bit / 8] & (1U << (bit % 8)))
		return sgx_check_fail(c, "%s shares VA slot %u with another page", what,
				      offset >> 3);
	slots->claimed[bit / 8] |= (uint8_t)(1U << (bit % 8));
	slots->nr_claimed++;
	return true;
}

static bool sgx_check_paging(struct sgx_check *c, struct sgx_check_slots *slots,
			     const struct sgx_encl_page *page, const char *what)
{
	struct sgx_platform *platform = c->platform;
	bool ok = true;

	if (!page->epc_page)
		return !page->va_page || sgx_check_slot(c, slots, page, what);
	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	if (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED) {
		if ((page->epc_page->flags & (SGX_EPC_PAGE_DEFERRED |
					      SGX_EPC_PAGE_RECLAIMER_TRACKED)) !=
		    (SGX_EPC_PAGE_DEFERRED | SGX_EPC_PAGE_RECLAIMER_TRACKED))
			ok = sgx_check_fail(c, "%s is BEING_RECLAIMED outside a batch but not "
					       "deferred (flags 0x%x)",
					    what, page->epc_page->flags);
	} else if (page->epc_page->flags & SGX_EPC_PAGE_DEFERRED) {
		ok = sgx_check_fail(c, "%s is deferred but not BEING_RECLAIMED", what);
	} else if ((page->epc_page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) &&
		   !page->epc_page->list.tqe_prev) {
		ok = sgx_check_fail(c, "%s is tracked but on no list outside a batch", what);
	}
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	return ok;
}

static bool sgx_check_encl(struct sgx_check *c, struct sgx_encl *encl)
{
	sgx_paddr_t secs_paddr = encl->secs.epc_page ? encl->secs.epc_page->paddr : 0;
	struct sgx_encl_va_page *va_page;
	struct sgx_check_slots slots = { 0 };
	struct sgx_encl_page *page;
	unsigned int nr_va = 0, nr_evicted = 0;
	char what[64];
	bool lost = sgx_encl_test_flag(encl, SGX_ENCL_CREATED) &&
		    encl->power_cycle != sgx_cpu_power_cycles(c->platform->cpu);
	bool ok = false;

	TAILQ_FOREACH(va_page, &encl->va_pages, list)
	slots.nr_va++;
	slots.va_pages = calloc(slots.nr_va + 1, sizeof(*slots.va_pages));
	slots.claimed = calloc((size_t)slots.nr_va * SGX_VA_SLOT_COUNT / 8 + 1, 1);
	if (!slots.va_pages || !slots.claimed) {
		sgx_check_fail(c, "out of memory");
		goto out;
	}
	TAILQ_FOREACH(va_page, &encl->va_pages, list)
	slots.va_pages[nr_va++] = va_page;
	nr_va = 0;

	if (encl->secs.epc_page) {
		snprintf(what, sizeof(what), "enclave %llu SECS", (unsigned long long)encl->id);
		if (encl->secs.epc_page->owner != &encl->secs ||
		    encl->secs.epc_page->owner_kind != SGX_EPC_OWNER_SECS) {
			sgx_check_fail(c, "%s: the frame's owner is not the SECS", what);
			goto out;
		}
		if (!sgx_check_claim(c, encl->secs.epc_page, what))
			goto out;
		/* A SECS that has not been through ECREATE yet cannot be seen here (IOCTL flag). */
		if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED) &&
		    !sgx_check_epcm(c, encl->secs.epc_page, SGX_PAGE_TYPE_SECS, 0, 0, lost, what))
			goto out;
	} else if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED) && encl->secs.va_page) {
		snprintf(what, sizeof(what), "enclave %llu SECS", (unsigned long long)encl->id);
		if (!sgx_check_slot(c, &slots, &encl->secs, what))
			goto out;
		if (encl->secs_child_cnt) {
			sgx_check_fail(c, "%s is out of the EPC with %u children in it", what,
				       encl->secs_child_cnt);
			goto out;
		}
	}

	for (size_t pos = 0; (page = sgx_pagemap_next(&encl->page_array, &pos, NULL));) {
		uint64_t addr = sgx_encl_page_addr(page);

		snprintf(what, sizeof(what), "enclave %llu page 0x%llx",
			 (unsigned long long)encl->id, (unsigned long long)addr);
		if (page->encl != encl) {
			sgx_check_fail(c, "%s: record points at another enclave", what);
			goto out;
		}
		if (addr < encl->base || addr - encl->base >= encl->size) {
			sgx_check_fail(c, "%s: outside ELRANGE", what);
			goto out;
		}
		if (page->epc_page) {
			if (page->epc_page->owner != page ||
			    page->epc_page->owner_kind != SGX_EPC_OWNER_ENCL_PAGE) {
				sgx_check_fail(c, "%s: the frame's owner is not the page", what);
				goto out;
			}
			if (!sgx_check_claim(c, page->epc_page, what))
				goto out;
			if (!sgx_check_epcm(c, page->epc_page, page->type, addr, secs_paddr, lost,
					    what))
				goto out;
		} else if (page->va_page) {
			nr_evicted++;
		}
		if (!sgx_check_paging(c, &slots, page, what))
			goto out;
		if (!sgx_check_pte(c, addr))
			goto out;
	}
	if (nr_evicted != encl->nr_evicted) {
		sgx_check_fail(c, "enclave %llu has %u pages in its backing store, counted %u",
			       (unsigned long long)encl->id, nr_evicted, encl->nr_evicted);
		goto out;
	}

	TAILQ_FOREACH(va_page, &encl->va_pages, list)
	{
		snprintf(what, sizeof(what), "enclave %llu VA page %u",
			 (unsigned long long)encl->id, nr_va);
		if (va_page->epc_page->owner != va_page ||
		    va_page->epc_page->owner_kind != SGX_EPC_OWNER_VA) {
			sgx_check_fail(c, "%s: the frame's owner is not the VA page", what);
			goto out;
		}
		if (!sgx_check_claim(c, va_page->epc_page, what))
			goto out;
		if (!sgx_check_epcm(c, va_page->epc_page, SGX_PAGE_TYPE_VA, 0, 0, lost, what))
			goto out;
		for (unsigned int slot = 0; slot < SGX_VA_SLOT_COUNT; slot++) {
			unsigned int bit = nr_va * SGX_VA_SLOT_COUNT + slot;

			if (sgx_va_slot_used(va_page, slot << 3) &&
			    !(slots.claimed[bit / 8] & (1U << (bit % 8)))) {
				sgx_check_fail(c, "%s: slot %u is in use by no page", what, slot);
				goto out;
			}
		}
		nr_va++;
	}
	/*
	 * One VA slot for each page the enclave counts (its SECS included). REMOVE_PAGES lowers
	 * page_cnt without freeing VA pages, as the kernel does, so there may be more, never fewer.
	 */
	if (nr_va < (encl->page_cnt + SGX_VA_SLOT_COUNT - 1) / SGX_VA_SLOT_COUNT) {
		sgx_check_fail(c, "enclave %llu has %u VA pages for page_cnt %u",
			       (unsigned long long)encl->id, nr_va, encl->page_cnt);
		goto out;
	}
	ok = true;
out:
	free(slots.va_pages);
	free(slots.claimed);
	return ok;
}

/* The LRU and the deferred list hold what their counters and the pages' flags say. */
static bool sgx_check_reclaimer(struct sgx_check *c)
{
	struct sgx_platform *platform = c->platform;
	struct sgx_reclaimer *r = &platform->reclaimer;
	uint64_t nr_active = 0, nr_deferred = 0;
	struct sgx_epc_page *page;
	bool ok = true;

	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	TAILQ_FOREACH(page, &platform->active_page_list, list)
	{
		nr_active++;
		if (page->owner_kind != SGX_EPC_OWNER_ENCL_PAGE ||
		    (page->flags & (SGX_EPC_PAGE_RECLAIMER_TRACKED | SGX_EPC_PAGE_DEFERRED)) !=
			    SGX_EPC_PAGE_RECLAIMER_TRACKED) {
			ok = sgx_check_fail(c, "frame 0x%llx on the LRU: owner kind %u, flags 0x%x",
					    (unsigned long long)page->paddr, page->owner_kind,
					    page->flags);
			goto out;
		}
	}
	TAILQ_FOREACH(page, &r->deferred_list, list)
	{
		nr_deferred++;
		if (!(page->flags & SGX_EPC_PAGE_DEFERRED)) {
			ok = sgx_check_fail(c, "frame 0x%llx on the deferred list is not flagged",
					    (unsigned long long)page->paddr);
			goto out;
		}
	}
	if (nr_active != r->nr_active || nr_deferred != r->nr_deferred)
		ok = sgx_check_fail(c,
				    "the LRU holds %llu pages and the deferred list %llu, counted "
				    "%llu and %llu",
				    (unsigned long long)nr_active, (unsigned long long)nr_deferred,
				    (unsigned long long)r->nr_active,
				    (unsigned long long)r->nr_deferred);
out:
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	return ok;
}

/* A vEPC's frames: the guest decides what the EPCM holds, the kernel only who owns what. */
static bool sgx_check_vepc(struct sgx_check *c, struct sgx_vepc *vepc)
{
	struct sgx_epc_page *page;
	size_t pos = 0;
	uint64_t key;
	char what[64];

	while ((page = sgx_pagemap_next(&vepc->page_array, &pos, &key))) {
		snprintf(what, sizeof(what), "vEPC page %llu", (unsigned long long)key);
		if (page->owner != vepc || page->owner_kind != SGX_EPC_OWNER_VEPC)
			return sgx_check_fail(c, "%s: the frame's owner is not the vEPC", what);
		if (!sgx_check_claim(c, page, what))
			return false;
		if (page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED)
			return sgx_check_fail(c, "%s: guest pages are never reclaimable", what);
	}
	return true;
}

/* Zombies: SECS pages of released vEPCs whose children live on in another vEPC. */
static bool sgx_check_zombies(struct sgx_check *c)
{
	struct sgx_platform *platform = c->platform;
	struct sgx_epc_page *page;
	bool ok = true;

	sgx_mutex_lock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	TAILQ_FOREACH(page, &platform->zombie_secs_pages, list)
	{
		if (page->owner != &platform->zombie_secs_pages ||
		    page->owner_kind != SGX_EPC_OWNER_VEPC) {
			ok = sgx_check_fail(c, "zombie frame 0x%llx: the owner is not the list",
					    (unsigned long long)page->paddr);
			break;
		}
		/*
		 * Usually a SECS whose children live on; any page whose EREMOVE kept failing
		 * (after the leak warning) lands here too, as in the kernel.
		 */
		if (!(ok = sgx_check_claim(c, page, "zombie page")))
			break;
	}
	sgx_mutex_unlock(&platform->zombie_secs_lock, SGX_LOCK_ENCL);
	return ok;
}

static bool sgx_check_section(struct sgx_check *c, struct sgx_epc_section *section)
{
	uint64_t nr_free = 0, nr_allocated = 0, nr_leaked = 0, nr_dirty = 0, on_free_list = 0;
	uint64_t nr_poisoned = 0, on_poison_list = 0;
	struct sgx_epc_page *page;
	bool ok = true;

	sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
	TAILQ_FOREACH(page, &section->free_page_list, list)
	{
		on_free_list++;
		if (!(page->flags & SGX_EPC_PAGE_IS_FREE)) {
			ok = sgx_check_fail(c, "frame 0x%llx is on the free list but not free",
					    (unsigned long long)page->paddr);
			goto out;
		}
	}
	TAILQ_FOREACH(page, &section->poison_page_list, list)
	{
		on_poison_list++;
		if (!(page->flags & SGX_EPC_PAGE_POISONED) || !page->poison) {
			ok = sgx_check_fail(c, "frame 0x%llx is on the poison list but not poisoned",
					    (unsigned long long)page->paddr);
			goto out;
		}
	}
	for (uint64_t i = 0; i < section->nr_pages; i++) {
		struct sgx_epcm_info info;
		uint64_t index;

		page = &section->pages[i];
		index = sgx_check_index(c->platform, page);
		if (page->flags & SGX_EPC_PAGE_IS_FREE) {
			nr_free++;
			if (page->owner) {
				ok = sgx_check_fail(c, "free frame 0x%llx has an owner",
						    (unsigned long long)page->paddr);
				goto out;
			}
			if (sgx_cpu_epcm_read(c->platform->cpu, page->paddr, &info) && info.valid) {
				ok = sgx_check_fail(c,
						    "free frame 0x%llx is valid in the EPCM "
						    "(type %u)",
						    (unsigned long long)page->paddr,
						    info.page_type);
				goto out;
			}
		} else if (page->flags & SGX_EPC_PAGE_POISONED) {
			nr_poisoned++;
			if (page->owner) {
				ok = sgx_check_fail(c, "poisoned frame 0x%llx has an owner",
						    (unsigned long long)page->paddr);
				goto out;
			}
		} else if (page->flags & SGX_EPC_PAGE_LEAKED) {
			nr_leaked++;
		} else if (page->flags & SGX_EPC_PAGE_DIRTY) {
			nr_dirty++;
		} else {
			nr_allocated++;
			if (!page->owner || page->owner_kind == SGX_EPC_OWNER_NONE) {
				ok = sgx_check_fail(c, "allocated frame 0x%llx has no owner",
						    (unsigned long long)page->paddr);
				goto out;
			}
			/* Enclave-owned frames must have been found through their enclave. */
			if ((page->owner_kind == SGX_EPC_OWNER_ENCL_PAGE ||
			     page->owner_kind == SGX_EPC_OWNER_SECS ||
			     page->owner_kind == SGX_EPC_OWNER_VA ||
			     page->owner_kind == SGX_EPC_OWNER_VEPC) &&
			    !(c->claimed[index / 8] & (1U << (index % 8)))) {
				ok = sgx_check_fail(c,
						    "frame 0x%llx is allocated to an enclave that "
						    "does not know it (owner kind %u)",
						    (unsigned long long)page->paddr,
						    page->owner_kind);
				goto out;
			}
		}
	}
	if (on_free_list != nr_free || nr_free != section->nr_free) {
		ok = sgx_check_fail(
			c,
			"section 0x%llx: %llu pages flagged free, %llu on the free list, "
			"nr_free %llu",
			(unsigned long long)section->phys_addr, (unsigned long long)nr_free,
			(unsigned long long)on_free_list, (unsigned long long)section->nr_free);
		goto out;
	}
	if (on_poison_list != nr_poisoned || nr_poisoned != section->nr_poisoned) {
		ok = sgx_check_fail(c,
				    "section 0x%llx: %llu pages flagged poisoned, %llu on the poison "
				    "list, nr_poisoned %llu",
				    (unsigned long long)section->phys_addr,
				    (unsigned long long)nr_poisoned, (unsigned long long)on_poison_list,
				    (unsigned long long)section->nr_poisoned);
		goto out;
	}
	if (nr_leaked != section->nr_leaked || nr_dirty != section->nr_dirty) {
		ok = sgx_check_fail(c,
				    "section 0x%llx: %llu leaked and %llu dirty pages, counted "
				    "%llu and %llu",
				    (unsigned long long)section->phys_addr,
				    (unsigned long long)nr_leaked, (unsigned long long)nr_dirty,
				    (unsigned long long)section->nr_leaked,
				    (unsigned long long)section->nr_dirty);
		goto out;
	}
	if (nr_free + nr_allocated + nr_leaked + nr_dirty + nr_poisoned != section->nr_pages)
		ok = sgx_check_fail(c,
				    "section 0x%llx: free %llu + allocated %llu + leaked %llu + "
				    "dirty %llu + poisoned %llu != %llu pages",
				    (unsigned long long)section->phys_addr,
				    (unsigned long long)nr_free, (unsigned long long)nr_allocated,
				    (unsigned long long)nr_leaked, (unsigned long long)nr_dirty,
				    (unsigned long long)nr_poisoned,
				    (unsigned long long)section->nr_pages);
out:
	sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);
	return ok;
}

int sgx_platform_check(struct sgx_platform *platform, char *err, size_t errlen)
{
	struct sgx_check c = { .platform = platform, .err = err, .errlen = errlen };
	uint64_t total_free = 0;
	struct sgx_encl *encl;
	bool ok = true;

	if (err && errlen)
		err[0] = '\0';
	c.claimed = calloc((platform->nr_total_pages + 7) / 8, 1);
	if (!c.claimed) {
		sgx_check_fail(&c, "out of memory");
		return -1;
	}

	/* No reclaim batch may be half-way through its pages while we look. */
	sgx_lockdep_acquire(SGX_LOCK_RECLAIM);
	pthread_rwlock_wrlock(&platform->reclaimer.batch_lock);

	/* Enclaves first (enclave locks rank above the free lists), claiming their frames. */
	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(encl, &platform->encl_list, link)
	{
		sgx_encl_lock(encl);
		ok = sgx_check_encl(&c, encl);
		sgx_encl_unlock(encl);
		if (!ok)
			break;
	}
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);

	if (ok)
		ok = sgx_check_reclaimer(&c);
	if (ok) {
		struct sgx_vepc *vepc;

		sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
		LIST_FOREACH(vepc, &platform->vepc_list, link)
		{
			sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
			ok = sgx_check_vepc(&c, vepc);
			sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
			if (!ok)
				break;
		}
		sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	}
	if (ok)
		ok = sgx_check_zombies(&c);

	for (unsigned int i = 0; ok && i < platform->nr_sections; i++) {
		ok = sgx_check_section(&c, &platform->sections[i]);
		total_free += platform->sections[i].nr_free;
	}
	if (ok && total_free != __atomic_load_n(&platform->nr_free_pages, __ATOMIC_RELAXED))
		ok = sgx_check_fail(&c, "sections hold %llu free pages, the counter says %llu",
				    (unsigned long long)total_free,
				    (unsigned long long)platform->nr_free_pages);
	pthread_rwlock_unlock(&platform->reclaimer.batch_lock);
	sgx_lockdep_release(SGX_LOCK_RECLAIM);
	free(c.claimed);
	return ok ? 0 : -1;
}
