/* SPDX-License-Identifier: MIT */
/*
 * The runtime-facing side of the kernel layer (mm.h): the mmap/mprotect rules of ref §1.1, the
 * fault handler's answers (ref §4.7, resident pages), the CPU page-table entries it sets and
 * clears, the storage the runtime maps, and the zap callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "kernel/encl.h"
#include "kernel/mm.h"
#include "kernel_fixture.h"

#define R SGX_VM_READ
#define W SGX_VM_WRITE
#define X SGX_VM_EXEC

struct ctx {
	struct sgx_platform *p;
	struct kfix_enclave e;
	struct sgx_encl *encl;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->p = kfix_boot(NULL);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	c->encl = sgx_encl_from_fd(c->e.fd);
	assert_false(IS_ERR(c->encl));
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->encl)
		sgx_encl_put(c->encl);
	kfix_check(c->p);
	kfix_close(&c->e);
	kfix_shutdown(c->p);
	free(c);
	return 0;
}

#define B KFIX_BASE
#define PAGE 0x1000ULL

static void may_map_before_init(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl *encl = c->encl;

	/* Anywhere, as long as no page there forbids it (userspace maps 2*size, then trims). */
	assert_int_equal(sgx_encl_may_map(encl, 0x7f0000000000ULL, 0x7f0000100000ULL, R | W | X),
			 0);
	assert_int_equal(sgx_encl_may_map(encl, B - 0x100000, B + 0x100000, R), 0);
	/* TCS and SSA pages are RW; code RX; data RW. */
	assert_int_equal(sgx_encl_may_map(encl, B, B + 3 * PAGE, R | W), 0);
	assert_int_equal(sgx_encl_may_map(encl, B, B + 3 * PAGE, R | W | X), -EACCES);
	assert_int_equal(
		sgx_encl_may_map(encl, B + KFIX_CODE_OFFSET, B + KFIX_CODE_OFFSET + PAGE, R | X),
		0);
	assert_int_equal(
		sgx_encl_may_map(encl, B + KFIX_CODE_OFFSET, B + KFIX_CODE_OFFSET + PAGE, R | W),
		-EACCES);
	assert_int_equal(
		sgx_encl_may_map(encl, B + KFIX_DATA_OFFSET, B + KFIX_DATA_OFFSET + PAGE, X),
		-EACCES);
	/* Holes are not checked: the rest of ELRANGE is empty. */
	assert_int_equal(sgx_encl_may_map(encl, B + 5 * PAGE, B + KFIX_SIZE, R | W | X), 0);
	/* A PROT_NONE mapping is always fine. */
	assert_int_equal(sgx_encl_may_map(encl, B, B + KFIX_SIZE, 0), 0);
}

static void may_map_after_init(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl *encl = c->encl;

	assert_int_equal(kfix_init(&c->e), 0);
	/* Only inside ELRANGE now. */
	assert_int_equal(sgx_encl_may_map(encl, B - PAGE, B, R), -EACCES);
	assert_int_equal(sgx_encl_may_map(encl, B - PAGE, B + PAGE, R), -EACCES);
	assert_int_equal(sgx_encl_may_map(encl, B + KFIX_SIZE - PAGE, B + KFIX_SIZE + PAGE, 0),
			 -EACCES);
	assert_int_equal(sgx_encl_may_map(encl, B, B + KFIX_SIZE, 0), 0);
	assert_int_equal(sgx_encl_may_map(encl, B, B + KFIX_SIZE, R), 0);
	assert_int_equal(sgx_encl_may_map(encl, B, B + KFIX_SIZE, R | W), -EACCES);
}

static void may_map_read_implies_exec(void **state)
{
	struct ctx *c = *state;
	int old = personality(0xffffffff);

	assert_true(old != -1);
	assert_true(personality((unsigned long)old | READ_IMPLIES_EXEC) != -1);
	assert_int_equal(sgx_encl_may_map(c->encl, B, B + PAGE, R), -EACCES);
	assert_true(personality((unsigned long)old) != -1);
	assert_int_equal(sgx_encl_may_map(c->encl, B, B + PAGE, R), 0);
}

static void fault_maps_resident_pages(void **state)
{
	struct ctx *c = *state;
	struct sgx_fault_answer answer;
	unsigned int prot;
	sgx_paddr_t frame;
	uint64_t addr = B + KFIX_DATA_OFFSET;

	assert_int_equal(sgx_vma_fault(c->encl, addr + 0x123, R | W, &answer), SGX_FAULT_MAPPED);
	assert_int_equal(answer.frame, sgx_encl_page_frame(c->encl, addr));
	assert_int_equal(answer.prot, R | W);
	assert_true(sgx_pt_lookup(c->p->cpu, addr, &frame, &prot));
	assert_int_equal(frame, answer.frame);
	assert_int_equal(prot, R | W);
	kfix_check(c->p);

	/* A mapping wider than the page's maximum: SIGBUS. */
	assert_int_equal(sgx_vma_fault(c->encl, B + KFIX_CODE_OFFSET, R | W, &answer),
			 SGX_FAULT_SIGBUS);
	assert_int_equal(sgx_vma_fault(c->encl, B + KFIX_CODE_OFFSET, R | X, &answer),
			 SGX_FAULT_MAPPED);
	/* No page there (EAUG comes with SGX2 support): SIGBUS. No enclave: SIGBUS. */
	assert_int_equal(sgx_vma_fault(c->encl, B + 0x8000, R, &answer), SGX_FAULT_SIGBUS);
	assert_false(sgx_pt_lookup(c->p->cpu, B + 0x8000, &frame, &prot));
	assert_int_equal(sgx_vma_fault(NULL, addr, R, &answer), SGX_FAULT_SIGBUS);

	/* A page the reclaimer is writing back: retry. */
	{
		struct sgx_encl_page *page;

		sgx_encl_lock(c->encl);
		page = sgx_pagemap_load(&c->encl->page_array, (B + KFIX_TCS_OFFSET) >> 12);
		page->desc |= SGX_ENCL_PAGE_BEING_RECLAIMED;
		sgx_encl_unlock(c->encl);
		assert_int_equal(sgx_vma_fault(c->encl, B, R | W, &answer), SGX_FAULT_RETRY);
		sgx_encl_lock(c->encl);
		page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		sgx_encl_unlock(c->encl);
	}
}

static void unmap_and_teardown_clear_ptes(void **state)
{
	struct ctx *c = *state;
	struct sgx_fault_answer answer;
	unsigned int prot;
	sgx_paddr_t frame;

	for (uint64_t off = 0; off < 5 * PAGE; off += PAGE)
		assert_int_equal(sgx_vma_fault(c->encl, B + off, R, &answer), SGX_FAULT_MAPPED);
	sgx_encl_unmap(c->encl, B, B + 2 * PAGE);
	assert_false(sgx_pt_lookup(c->p->cpu, B, &frame, &prot));
	assert_false(sgx_pt_lookup(c->p->cpu, B + PAGE, &frame, &prot));
	assert_true(sgx_pt_lookup(c->p->cpu, B + 2 * PAGE, &frame, &prot));

	/* Someone else's entry at one of our addresses is not ours to clear. */
	sgx_pt_set(c->p->cpu, B, 0x42000, R);
	sgx_encl_unmap(c->encl, B, B + PAGE);
	assert_true(sgx_pt_lookup(c->p->cpu, B, &frame, &prot));
	assert_int_equal(frame, 0x42000);
	sgx_pt_clear(c->p->cpu, B);

	/* The last reference clears what is left. */
	sgx_encl_put(c->encl);
	c->encl = NULL;
	kfix_close(&c->e);
	for (uint64_t off = 0; off < 5 * PAGE; off += PAGE)
		assert_false(sgx_pt_lookup(c->p->cpu, B + off, &frame, &prot));
}

static void storage_is_the_slice(void **state)
{
	struct ctx *c = *state;
	uint8_t page[4096];
	uint64_t base, size;
	struct kfix_enclave fresh;
	struct sgx_encl *encl;
	int fd;

	assert_int_equal(sgx_encl_storage(c->encl, &fd, &base, &size), 0);
	assert_int_equal(base, KFIX_BASE);
	assert_int_equal(size, KFIX_SIZE);
	/* EADD wrote the page where the runtime will map it: offset = address - base. */
	assert_int_equal(pread(fd, page, sizeof(page), KFIX_DATA_OFFSET), sizeof(page));
	for (int i = 0; i < 4096; i++)
		assert_int_equal(page[i], 0xDA);
	assert_int_equal(pread(fd, page, sizeof(page), KFIX_CODE_OFFSET), sizeof(page));
	assert_int_equal(page[4095], 0xC3);

	/* Nothing to map before CREATE. */
	kfix_enclave_init(&fresh, c->p, SGX_ATTR_MODE64BIT);
	encl = sgx_encl_from_fd(fresh.fd);
	assert_int_equal(sgx_encl_storage(encl, &fd, &base, &size), -EINVAL);
	sgx_encl_put(encl);
	kfix_close(&fresh);
}

struct zap_record {
	int calls;
	struct sgx_encl *encl;
	uint64_t start, end;
};

static void record_zap(void *priv, struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	struct zap_record *r = priv;

	/* The runtime's side of the lock order. */
	sgx_lockdep_acquire(SGX_LOCK_MM);
	r->calls++;
	r->encl = encl;
	r->start = start;
	r->end = end;
	sgx_lockdep_release(SGX_LOCK_MM);
}

static void zap_clears_cpu_then_asks_runtime(void **state)
{
	static const struct sgx_mm_ops ops = { .zap = record_zap };
	struct ctx *c = *state;
	struct zap_record r = { 0 };
	struct sgx_fault_answer answer;
	unsigned int prot;
	sgx_paddr_t frame;

	sgx_platform_register_mm(c->p, &ops, &r);
	assert_int_equal(sgx_vma_fault(c->encl, B + KFIX_DATA_OFFSET, R, &answer),
			 SGX_FAULT_MAPPED);
	sgx_encl_zap(c->encl, B + KFIX_DATA_OFFSET, B + KFIX_DATA_OFFSET + PAGE);
	assert_false(sgx_pt_lookup(c->p->cpu, B + KFIX_DATA_OFFSET, &frame, &prot));
	assert_int_equal(r.calls, 1);
	assert_ptr_equal(r.encl, c->encl);
	assert_int_equal(r.start, B + KFIX_DATA_OFFSET);
	assert_int_equal(r.end, B + KFIX_DATA_OFFSET + PAGE);
	sgx_platform_register_mm(c->p, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(may_map_before_init, setup, teardown),
		cmocka_unit_test_setup_teardown(may_map_after_init, setup, teardown),
		cmocka_unit_test_setup_teardown(may_map_read_implies_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_maps_resident_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(unmap_and_teardown_clear_ptes, setup, teardown),
		cmocka_unit_test_setup_teardown(storage_is_the_slice, setup, teardown),
		cmocka_unit_test_setup_teardown(zap_clears_cpu_then_asks_runtime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
