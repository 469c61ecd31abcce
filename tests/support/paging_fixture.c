// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "paging_fixture.h"

struct paging_blob *paging_blob_new(void)
{
	size_t size = (sizeof(struct paging_blob) + 4095) & ~(size_t)4095;
	struct paging_blob *b = aligned_alloc(4096, size);

	assert_non_null(b);
	memset(b, 0, sizeof(*b));
	return b;
}

void paging_blob_free(struct paging_blob *b)
{
	free(b);
}

void paging_blob_copy(struct paging_blob *dst, const struct paging_blob *src)
{
	memcpy(dst, src, sizeof(*dst));
}

sgx_paddr_t paging_va_new(struct cpu_fixture *f)
{
	sgx_paddr_t va = cpu_fixture_alloc(f);

	assert_int_equal(__epa(f->lp, va), 0);
	return va;
}

void paging_va_free(struct cpu_fixture *f, sgx_paddr_t va)
{
	assert_int_equal(__eremove(f->lp, va), 0);
	cpu_fixture_free(f, va);
}

uint64_t paging_va_slot(struct cpu_fixture *f, sgx_paddr_t slot)
{
	int64_t index = sgx_frame_index(f->cpu, slot);

	assert_true(index >= 0);
	assert_true(sgx_epcm(f->cpu, (uint64_t)index)->valid);
	return *(uint64_t *)(sgx_frame_kva(f->cpu, (uint64_t)index) + (slot & 4095));
}

int paging_ewb(struct sgx_lp *lp, sgx_paddr_t page, sgx_paddr_t slot, struct paging_blob *b)
{
	int ret;

	memset(&b->pi, 0, sizeof(b->pi));
	b->pi.contents = (uint64_t)(uintptr_t)b->data;
	b->pi.metadata = (uint64_t)(uintptr_t)&b->pcmd;
	ret = __ewb(lp, &b->pi, page, slot);
	b->linaddr = b->pi.addr;
	return ret;
}

int paging_eld(struct sgx_lp *lp, struct paging_blob *b, sgx_paddr_t dest, sgx_paddr_t slot,
	       sgx_paddr_t secs, bool blocked)
{
	memset(&b->pi, 0, sizeof(b->pi));
	b->pi.addr = b->linaddr;
	b->pi.contents = (uint64_t)(uintptr_t)b->data;
	b->pi.metadata = (uint64_t)(uintptr_t)&b->pcmd;
	b->pi.secs = secs;
	return blocked ? __eldb(lp, &b->pi, dest, slot) : __eldu(lp, &b->pi, dest, slot);
}

struct fixture_page *paging_page(struct fixture_enclave *e, uint64_t offset)
{
	for (unsigned int i = 0; i < e->nr_pages; i++)
		if (e->pages[i].offset == offset)
			return &e->pages[i];
	fail_msg("no page at offset %#lx", (unsigned long)offset);
	return NULL;
}

int paging_evict(struct fixture_enclave *e, uint64_t offset, sgx_paddr_t slot,
		 struct paging_blob *b)
{
	struct fixture_page *p = paging_page(e, offset);
	struct sgx_lp *lp = e->f->lp;

	assert_int_equal(__eblock(lp, p->frame), 0);
	assert_int_equal(__etrack(lp, e->secs), 0);
	return paging_ewb(lp, p->frame, slot, b);
}

int paging_reload(struct fixture_enclave *e, uint64_t offset, sgx_paddr_t slot,
		  struct paging_blob *b)
{
	struct fixture_page *p = paging_page(e, offset);
	sgx_paddr_t frame = cpu_fixture_alloc(e->f);
	int ret;

	ret = paging_eld(e->f->lp, b, frame, slot, e->secs, false);
	if (ret) {
		cpu_fixture_free(e->f, frame);
		return ret;
	}
	cpu_fixture_free(e->f, p->frame);
	p->frame = frame;
	return 0;
}

struct sgx_secs_hidden *paging_hidden(struct fixture_enclave *e)
{
	return sgx_secs_hidden(e->f->cpu, (uint64_t)sgx_frame_index(e->f->cpu, e->secs));
}

uint64_t paging_chldcnt(struct fixture_enclave *e)
{
	return __atomic_load_n(&paging_hidden(e)->chldcnt, __ATOMIC_ACQUIRE);
}

void assert_encls_gp(struct sgx_lp *lp, int ret)
{
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP);
	assert_int_equal(sgx_lp_last_fault(lp)->vector, X86_TRAP_GP);
}

void assert_encls_pf(struct sgx_lp *lp, int ret, uint64_t addr)
{
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->vector, X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->addr, addr);
}

void assert_encls_epcm_pf(struct sgx_lp *lp, int ret, uint64_t addr)
{
	assert_encls_pf(lp, ret, addr);
	assert_true(sgx_lp_last_fault(lp)->error_code & X86_PF_SGX);
	assert_true(sgx_lp_last_fault(lp)->error_code & X86_PF_PROT);
}

void assert_encls_status(struct sgx_lp *lp, int ret, int code, bool carry)
{
	uint64_t rflags = sgx_lp_last_rflags(lp);

	assert_int_equal(ret, code);
	assert_int_equal(!!(rflags & X86_EFLAGS_CF), code && carry);
	assert_int_equal(!!(rflags & X86_EFLAGS_ZF), code && !carry);
}
