/* SPDX-License-Identifier: MIT */
/*
 * The reclaimer and the ELDU path at the kernel layer, deterministically (ksgxd frozen, no
 * runtime): the backing store's layout (contents at the page index, PCMD at SIZE + 4096 + i*128,
 * the SECS at SIZE/4096), VA slots taken and given back, the SECS leaving after its last child and
 * coming back first, truncation of the backing pages, second chance, what a tampered or replayed
 * blob or a lost EPC does to the next fault, and the write-back ladder's fallbacks (an EBLOCK that
 * meets a conflict, an EWB that stays untracked and is deferred, an EWB that faults).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"

#define DATA (KFIX_BASE + KFIX_DATA_OFFSET)
#define DATA_INDEX (KFIX_DATA_OFFSET / 4096)

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave e;
	struct sgx_encl *encl;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->p = kfix_boot(NULL);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_create(&c->e, c->p, SGX_ATTR_MODE64BIT);
	c->encl = sgx_encl_from_fd(c->e.fd);
	assert_false(IS_ERR(c->encl));
	sgx_encl_put(c->encl); /* the fd keeps it */
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	sgx_inject_clear(c->p);
	kfix_check(c->p);
	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p) + c->p->sections[0].nr_leaked, c->free0);
	kfix_shutdown(c->p);
	free(c);
	return 0;
}

static struct sgx_encl_page *page_at(struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_encl_page *page = sgx_pagemap_load(&encl->page_array, addr >> 12);

	assert_non_null(page);
	return page;
}

static struct sgx_platform_stats stats(struct ctx *c)
{
	struct sgx_platform_stats s;

	sgx_platform_get_stats(c->p, &s);
	return s;
}

static unsigned int evict(struct ctx *c, uint64_t addr, unsigned int npages)
{
	return sgx_encl_reclaim_range(c->encl, addr, addr + (uint64_t)npages * 4096);
}

static enum sgx_vm_fault fault(struct ctx *c, uint64_t addr, struct sgx_fault_answer *answer)
{
	struct sgx_fault_answer scratch;

	return sgx_vma_fault(c->encl, addr, SGX_VM_READ, answer ? answer : &scratch);
}

/* The page's 4 KiB as the CPU stores them (the slice), read without mapping it. */
static void slice_read(struct ctx *c, uint64_t addr, uint8_t *buf)
{
	int fd;
	uint64_t base, size;

	assert_int_equal(sgx_encl_storage(c->encl, &fd, &base, &size), 0);
	assert_int_equal(pread(fd, buf, 4096, (off_t)(addr - base)), 4096);
}

static bool all(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static struct sgx_backing backing(struct ctx *c, uint64_t index)
{
	struct sgx_backing b;

	assert_int_equal(sgx_encl_lookup_backing(c->encl, index, &b), 0);
	return b;
}

/*
 * Is [offset, offset + 4096) of the backing store a hole (truncated, or never written)? Asked with
 * SEEK_DATA: reading a hole through the shared mapping would allocate it.
 */
static bool backing_hole(struct ctx *c, uint64_t offset)
{
	off_t data = lseek(c->encl->backing.fd, (off_t)offset, SEEK_DATA);

	return data < 0 || (uint64_t)data >= offset + 4096;
}

/* --- layout ---------------------------------------------------------------------------------- */

static void evict_and_reload_layout(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl_page *page = page_at(c->encl, DATA);
	struct sgx_fault_answer answer;
	struct sgx_encl_va_page *va;
	struct sgx_backing b;
	unsigned int offset;
	uint8_t buf[4096];

	assert_int_equal(c->encl->backing.map, NULL); /* no backing before the first eviction */
	assert_int_equal(evict(c, DATA, 1), 1);
	assert_int_equal(sgx_encl_page_frame(c->encl, DATA), 0);
	assert_int_equal(c->encl->nr_evicted, 1);
	assert_int_equal(c->encl->secs_child_cnt, 4);
	assert_int_equal(kfix_free_pages(c->p), c->free0 - 7 + 1);
	assert_int_equal(stats(c).reclaim.evicted, 1);

	/* The blob at page index 4, its PCMD at SIZE + 4096 + 4 * 128. */
	b = backing(c, DATA_INDEX);
	assert_ptr_equal(b.contents, c->encl->backing.map + DATA_INDEX * 4096);
	assert_ptr_equal((uint8_t *)b.pcmd, c->encl->backing.map + KFIX_SIZE + 4096 + DATA_INDEX * 128);
	assert_int_equal(b.pcmd->secinfo.flags, KFIX_SECINFO_RW);
	assert_true(b.pcmd->enclave_id != 0);
	assert_false(all(b.pcmd->mac, 0, sizeof(b.pcmd->mac)));
	/* Encrypted: not the 0xDA page the enclave holds. */
	assert_false(all(b.contents, 0xDA, 4096));
	/* The slice no longer holds it either. */
	slice_read(c, DATA, buf);
	assert_true(all(buf, 0, 4096));
	/* One VA slot holds its version; the first VA page gave it. */
	va = page->va_page;
	offset = page->desc & SGX_ENCL_PAGE_VA_OFFSET_MASK;
	assert_ptr_equal(va, TAILQ_FIRST(&c->encl->va_pages));
	assert_true(sgx_va_slot_used(va, offset));
	kfix_check(c->p);

	/* The fault path loads it back, bit-exact, and gives everything back. */
	assert_int_equal(fault(c, DATA, &answer), SGX_FAULT_MAPPED);
	assert_true(answer.frame != 0);
	assert_int_equal(sgx_encl_page_frame(c->encl, DATA), answer.frame);
	slice_read(c, DATA, buf);
	assert_true(all(buf, 0xDA, 4096));
	assert_false(sgx_va_slot_used(va, offset));
	assert_int_equal(page->desc & SGX_ENCL_PAGE_VA_OFFSET_MASK, 0);
	assert_true(all((uint8_t *)b.pcmd, 0, 128));
	assert_true(backing_hole(c, DATA_INDEX * 4096));
	assert_int_equal(c->encl->nr_evicted, 0);
	assert_int_equal(c->encl->secs_child_cnt, 5);
	assert_int_equal(stats(c).reclaim.loaded, 1);
	assert_int_equal(kfix_free_pages(c->p), c->free0 - 7);
	kfix_check(c->p);
}

static void secs_follows_last_child_and_comes_back_first(void **state)
{
	struct ctx *c = *state;
	uint64_t secs_index = KFIX_SIZE / 4096;
	struct sgx_platform_stats s;
	struct sgx_backing b;
	uint8_t buf[4096];

	/* Five children out: the SECS of an initialised enclave follows the last one. */
	assert_int_equal(evict(c, KFIX_BASE, KFIX_SIZE / 4096), 5);
	assert_null(c->encl->secs.epc_page);
	assert_int_equal(c->encl->secs_child_cnt, 0);
	s = stats(c);
	assert_int_equal(s.reclaim.secs_evicted, 1);
	assert_int_equal(s.evicted_secs, 1);
	assert_int_equal(s.evicted_pages, 5);
	assert_int_equal(kfix_free_pages(c->p), c->free0 - 1); /* only the VA page is left */
	b = backing(c, secs_index);
	assert_ptr_equal(b.contents, c->encl->backing.map + KFIX_SIZE);
	assert_int_equal(b.pcmd->secinfo.flags, (uint64_t)SGX_PAGE_TYPE_SECS << 8);
	assert_true(b.pcmd->enclave_id != 0);
	assert_true(sgx_va_slot_used(c->encl->secs.va_page,
				     c->encl->secs.desc & SGX_ENCL_PAGE_VA_OFFSET_MASK));
	kfix_check(c->p);

	/* One fault: the SECS comes back first, then the page, and the data is intact. */
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	assert_non_null(c->encl->secs.epc_page);
	s = stats(c);
	assert_int_equal(s.reclaim.secs_loaded, 1);
	assert_int_equal(s.reclaim.loaded, 1);
	assert_int_equal(c->encl->secs_child_cnt, 1);
	slice_read(c, DATA, buf);
	assert_true(all(buf, 0xDA, 4096));
	assert_true(all((uint8_t *)b.pcmd, 0, 128));
	kfix_check(c->p);

	/* The rest comes back as it is touched; the PCMD page goes once all its PCMDs are zero. */
	assert_false(backing_hole(c, KFIX_SIZE + 4096));
	for (uint64_t off = 0; off < KFIX_DATA_OFFSET; off += 4096)
		assert_int_equal(fault(c, KFIX_BASE + off, NULL), SGX_FAULT_MAPPED);
	assert_true(backing_hole(c, KFIX_SIZE + 4096));
	assert_int_equal(c->encl->secs_child_cnt, 5);
	assert_int_equal(kfix_free_pages(c->p), c->free0 - 7);
	kfix_check(c->p);
}

/* An enclave that is not initialised keeps its SECS: EINIT needs it. */
static void uninitialised_secs_stays(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_encl *encl;
	struct kfix_enclave e;

	(void)state;
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	encl = sgx_encl_from_fd(e.fd);
	assert_int_equal(sgx_encl_reclaim_range(encl, KFIX_BASE, KFIX_BASE + KFIX_SIZE), 5);
	assert_non_null(encl->secs.epc_page);
	/* EINIT of an enclave whose pages are all in the backing store: they need not be in. */
	kfix_sign(&e, NULL);
	assert_int_equal(kfix_init(&e), 0);
	sgx_encl_put(encl);
	kfix_check(p);
	kfix_close(&e);
	kfix_shutdown(p);
}

/* The PCMD page stays while the reclaimer is writing a PCMD into it (a page BEING_RECLAIMED). */
static void pcmd_page_kept_for_a_write_in_flight(void **state)
{
	struct ctx *c = *state;
	sgx_paddr_t code = sgx_encl_page_frame(c->encl, KFIX_BASE + KFIX_CODE_OFFSET);

	/* The code page's write-back cannot complete: it waits, BEING_RECLAIMED, deferred. */
	assert_int_equal(sgx_inject_encls(c->p, EWB, code, SGX_NOT_TRACKED, UINT32_MAX), 0);
	assert_int_equal(evict(c, KFIX_BASE + KFIX_CODE_OFFSET, 1), 0);
	assert_true(page_at(c->encl, KFIX_BASE + KFIX_CODE_OFFSET)->desc &
		    SGX_ENCL_PAGE_BEING_RECLAIMED);
	/* The data page shares its PCMD page: out and back in, and the PCMD page stays. */
	assert_int_equal(evict(c, DATA, 1), 1);
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	assert_true(all((uint8_t *)backing(c, DATA_INDEX).pcmd - DATA_INDEX * 128, 0, 4096));
	assert_false(backing_hole(c, KFIX_SIZE + 4096));
	kfix_check(c->p);

	/* Once the code page is through, the next reload truncates it. */
	sgx_inject_clear(c->p);
	sgx_reclaimer_thaw(c->p);
	while (stats(c).deferred_pages)
		usleep(1000);
	assert_int_equal(sgx_encl_page_frame(c->encl, KFIX_BASE + KFIX_CODE_OFFSET), 0);
	assert_int_equal(fault(c, KFIX_BASE + KFIX_CODE_OFFSET, NULL), SGX_FAULT_MAPPED);
	assert_true(backing_hole(c, KFIX_SIZE + 4096));
	sgx_reclaimer_freeze(c->p);
}

/* --- aging ------------------------------------------------------------------------------------ */

static void accessed_pages_get_a_second_chance(void **state)
{
	struct ctx *c = *state;
	struct sgx_platform_stats s;

	/* The data page is mapped (accessed); the other four never were. */
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	sgx_reclaim_pages(c->p);
	s = stats(c);
	assert_int_equal(s.reclaim.scanned, 5);
	assert_int_equal(s.reclaim.second_chance, 1);
	assert_int_equal(s.reclaim.evicted, 4);
	assert_true(sgx_encl_page_frame(c->encl, DATA) != 0);
	/* Zapped for the test: the CPU's PTE is gone, so an access would fault and count. */
	{
		sgx_paddr_t frame;
		unsigned int prot;

		assert_false(sgx_pt_lookup(c->p->cpu, DATA, &frame, &prot));
	}
	kfix_check(c->p);
	/* Not accessed since: the next look evicts it, and the SECS follows. */
	sgx_reclaim_pages(c->p);
	s = stats(c);
	assert_int_equal(s.reclaim.evicted, 5);
	assert_int_equal(s.reclaim.secs_evicted, 1);
	kfix_check(c->p);
}

/* --- ELDU refusals ---------------------------------------------------------------------------- */

/* The fault on addr is refused (the failures-th ELDU refusal), and the next one too. */
static void assert_refused(struct ctx *c, uint64_t addr, uint64_t failures)
{
	uint8_t buf[4096];

	assert_int_equal(fault(c, addr, NULL), SGX_FAULT_SIGBUS);
	assert_int_equal(sgx_encl_page_frame(c->encl, addr), 0);
	/* Nothing was written where the enclave would see it. */
	slice_read(c, addr, buf);
	assert_true(all(buf, 0, 4096));
	assert_int_equal(stats(c).reclaim.eldu_failures, failures);
	/* And it stays refused: the blob was used up. */
	assert_int_equal(fault(c, addr, NULL), SGX_FAULT_SIGBUS);
	assert_int_equal(stats(c).reclaim.eldu_failures, failures + 1);
	assert_int_equal(sgx_encl_page_frame(c->encl, addr), 0);
	kfix_check(c->p);
}

static void tampered_contents_are_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t seq = sgx_log_seq();

	assert_int_equal(evict(c, DATA, 1), 1);
	backing(c, DATA_INDEX).contents[100] ^= 1;
	assert_refused(c, DATA, 1);
	assert_int_equal(kfix_log_count(seq, "ELDU returned 9 (0x9)"), 1);
	/* The other pages are fine. */
	assert_int_equal(evict(c, KFIX_BASE + KFIX_CODE_OFFSET, 1), 1);
	assert_int_equal(fault(c, KFIX_BASE + KFIX_CODE_OFFSET, NULL), SGX_FAULT_MAPPED);
}

static void tampered_pcmd_is_refused(void **state)
{
	struct ctx *c = *state;

	/* The permissions in the PCMD's SECINFO (authenticated with the page). */
	assert_int_equal(evict(c, DATA, 1), 1);
	backing(c, DATA_INDEX).pcmd->secinfo.flags |= SGX_SECINFO_X;
	assert_refused(c, DATA, 1);
	/* Its MAC. */
	assert_int_equal(evict(c, KFIX_BASE + KFIX_CODE_OFFSET, 1), 1);
	backing(c, KFIX_CODE_OFFSET / 4096).pcmd->mac[0] ^= 0x80;
	assert_refused(c, KFIX_BASE + KFIX_CODE_OFFSET, 3);
}

/* An older blob of the same page, with its PCMD, put back: the VA slot holds a newer version. */
static void replayed_blob_is_refused(void **state)
{
	struct ctx *c = *state;
	static uint8_t old_contents[4096], old_pcmd[128], page[4096];
	uint64_t base, size;
	struct sgx_backing b;
	int fd;

	assert_int_equal(evict(c, DATA, 1), 1);
	b = backing(c, DATA_INDEX);
	memcpy(old_contents, b.contents, 4096);
	memcpy(old_pcmd, b.pcmd, 128);
	/* Back in; the enclave changes it (a store to the page is a store to its storage). */
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	memset(page, 0x33, sizeof(page));
	assert_int_equal(sgx_encl_storage(c->encl, &fd, &base, &size), 0);
	assert_int_equal(pwrite(fd, page, 4096, (off_t)(DATA - base)), 4096);
	/* Out again, and the old blob in its place: it decrypts to the old data, with the MAC. */
	assert_int_equal(evict(c, DATA, 1), 1);
	assert_true(memcmp(b.pcmd, old_pcmd, 128) != 0);
	memcpy(b.contents, old_contents, 4096);
	memcpy(b.pcmd, old_pcmd, 128);
	assert_refused(c, DATA, 1);
}

/* After an EPC loss: an evicted page cannot be loaded, a resident one cannot be written back. */
static void lost_epc(void **state)
{
	struct ctx *c = *state;
	uint64_t seq = sgx_log_seq();

	assert_int_equal(evict(c, DATA, 1), 1);
	sgx_cpu_power_cycle(c->p->cpu);
	assert_refused(c, DATA, 1);
	/* EBLOCK finds an invalid page (warned once), EWB faults (silent): the page is lost. */
	assert_int_equal(evict(c, KFIX_BASE + KFIX_CODE_OFFSET, 1), 1);
	assert_int_equal(stats(c).reclaim.ewb_lost, 1);
	assert_int_equal(kfix_log_count(seq, "EBLOCK returned 6 (0x6)"), 1);
	assert_int_equal(kfix_log_count(seq, "EWB returned"), 0);
	assert_null(page_at(c->encl, KFIX_BASE + KFIX_CODE_OFFSET)->va_page);
	assert_int_equal(fault(c, KFIX_BASE + KFIX_CODE_OFFSET, NULL), SGX_FAULT_SIGBUS);
	kfix_check(c->p);
}

/* --- the write-back's fallbacks ------------------------------------------------------------- */

static void eblock_conflict_puts_the_page_back(void **state)
{
	struct ctx *c = *state;
	sgx_paddr_t frame = sgx_encl_page_frame(c->encl, DATA);

	assert_int_equal(sgx_inject_encls(c->p, EBLOCK, frame, SGX_EPC_PAGE_CONFLICT, 1), 0);
	assert_int_equal(evict(c, DATA, 1), 0);
	assert_int_equal(sgx_encl_page_frame(c->encl, DATA), frame);
	assert_false(page_at(c->encl, DATA)->desc & SGX_ENCL_PAGE_BEING_RECLAIMED);
	assert_int_equal(stats(c).reclaim.ewb_conflicts, 1);
	kfix_check(c->p);
	/* Zapped but resident: a fault maps it as it is. */
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	assert_int_equal(evict(c, DATA, 1), 1);
}

static void untracked_write_back_is_deferred(void **state)
{
	struct ctx *c = *state;
	sgx_paddr_t frame = sgx_encl_page_frame(c->encl, DATA);
	struct sgx_fault_answer answer;
	struct sgx_platform_stats s;

	assert_int_equal(sgx_inject_encls(c->p, EWB, frame, SGX_NOT_TRACKED, UINT32_MAX), 0);
	assert_int_equal(evict(c, DATA, 1), 0);
	s = stats(c);
	assert_int_equal(s.reclaim.ewb_not_tracked, 1);
	assert_int_equal(s.reclaim.deferred, 1);
	assert_int_equal(s.deferred_pages, 1);
	assert_true(page_at(c->encl, DATA)->desc & SGX_ENCL_PAGE_BEING_RECLAIMED);
	/* The reclaimer owns it: teardown and SGX2 flows are told so. */
	assert_int_equal(sgx_unmark_page_reclaimable(c->p, sgx_epc_page_lookup(c->p, frame)),
			 -EBUSY);
	/* Not on request either, nor by a batch: it is off the LRU. */
	assert_int_equal(evict(c, DATA, 1), 0);
	kfix_check(c->p);

	/* A fault waits for the reclaimer's progress instead of mapping a blocked page. */
	assert_int_equal(fault(c, DATA, &answer), SGX_FAULT_RETRY);
	assert_ptr_equal(answer.wait_word, &c->p->reclaimer.progress);
	assert_int_equal(answer.wait_val, sgx_reclaim_progress(c->p));
	assert_int_equal(stats(c).reclaim.fault_waits, 1);

	/* Once EWB can complete, ksgxd finishes the job: the wait word moves, the page is out. */
	sgx_inject_clear(c->p);
	sgx_reclaimer_thaw(c->p);
	while (stats(c).deferred_pages)
		sgx_fault_wait(&answer);
	sgx_reclaimer_freeze(c->p);
	assert_true(sgx_reclaim_progress(c->p) != answer.wait_val);
	assert_int_equal(stats(c).reclaim.evicted, 1);
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
	kfix_check(c->p);
}

static void faulting_ewb_is_tried_again(void **state)
{
	struct ctx *c = *state;
	sgx_paddr_t frame = sgx_encl_page_frame(c->encl, DATA);

	/* A leaf holds the page (#GP): later, not lost. */
	assert_int_equal(
		sgx_inject_encls(c->p, EWB, frame, SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 1), 0);
	assert_int_equal(evict(c, DATA, 1), 0);
	assert_int_equal(stats(c).deferred_pages, 1);
	assert_int_equal(stats(c).reclaim.ewb_conflicts, 1);
	sgx_reclaimer_thaw(c->p);
	while (stats(c).deferred_pages)
		usleep(1000);
	sgx_reclaimer_freeze(c->p);
	assert_int_equal(stats(c).reclaim.evicted, 1);
	assert_int_equal(stats(c).reclaim.ewb_lost, 0);
	assert_int_equal(fault(c, DATA, NULL), SGX_FAULT_MAPPED);
}

/* --- VA slots ------------------------------------------------------------------------------- */

/*
 * 600 pages and the SECS need two VA pages. Slots come from the first; a full one moves to the
 * tail, one that gets a slot back to the head: free slots are always found at the front.
 */
static void va_slots_front_to_back(void **state)
{
	struct kfix_config config = { .epc = "4M" };
	struct sgx_platform *p = kfix_boot(&config);
	struct sgx_encl_va_page *first, *second;
	struct sgx_encl_page *page;
	struct kfix_enclave e;
	struct sgx_encl *encl;

	(void)state;
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	e.secs.size = 4 << 20;
	assert_int_equal(kfix_create(&e), 0);
	assert_int_equal(kfix_add_pages(&e, 0, 600, KFIX_SECINFO_RW, NULL, false, NULL), 0);
	encl = sgx_encl_from_fd(e.fd);
	second = TAILQ_FIRST(&encl->va_pages); /* the newest is at the head */
	first = TAILQ_NEXT(second, list);
	assert_non_null(first);

	/* 512 evictions fill the head page, which goes to the tail. */
	assert_int_equal(sgx_encl_reclaim_range(encl, KFIX_BASE, KFIX_BASE + 512 * 4096), 512);
	assert_ptr_equal(TAILQ_FIRST(&encl->va_pages), first);
	assert_true(sgx_va_page_full(second));
	assert_int_equal(sgx_encl_reclaim_range(encl, KFIX_BASE + 512 * 4096,
						KFIX_BASE + 600 * 4096),
			 88);
	kfix_check(p);
	/* A page whose slot is in the full page comes back: that page is at the head again. */
	page = sgx_pagemap_load(&encl->page_array, KFIX_BASE / 4096);
	assert_ptr_equal(page->va_page, second);
	{
		struct sgx_fault_answer answer;

		assert_int_equal(sgx_vma_fault(encl, KFIX_BASE, SGX_VM_READ, &answer),
				 SGX_FAULT_MAPPED);
	}
	assert_ptr_equal(TAILQ_FIRST(&encl->va_pages), second);
	assert_false(sgx_va_page_full(second));
	kfix_check(p);
	sgx_encl_put(encl);
	kfix_close(&e);
	kfix_shutdown(p);
}

/* Teardown with pages in the backing store: no EPC page is left behind, nor the backing file. */
static void release_with_pages_out(void **state)
{
	struct ctx *c = *state;
	int fd;

	assert_int_equal(evict(c, KFIX_BASE, KFIX_SIZE / 4096), 5);
	fd = c->encl->backing.fd;
	assert_true(fcntl(fd, F_GETFD) >= 0);
	kfix_close(&c->e);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(evict_and_reload_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(secs_follows_last_child_and_comes_back_first, setup,
						teardown),
		cmocka_unit_test(uninitialised_secs_stays),
		cmocka_unit_test_setup_teardown(pcmd_page_kept_for_a_write_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(accessed_pages_get_a_second_chance, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_contents_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_pcmd_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(replayed_blob_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_epc, setup, teardown),
		cmocka_unit_test_setup_teardown(eblock_conflict_puts_the_page_back, setup, teardown),
		cmocka_unit_test_setup_teardown(untracked_write_back_is_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(faulting_ewb_is_tried_again, setup, teardown),
		cmocka_unit_test(va_slots_front_to_back),
		cmocka_unit_test_setup_teardown(release_with_pages_out, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
