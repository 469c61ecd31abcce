/* SPDX-License-Identifier: MIT */
/*
 * Paging helpers over the CPU fixture (cpu_fixture.h): VA pages, the buffers of one evicted page
 * (ciphertext, PCMD, PAGEINFO) and the kernel's eviction and load sequences, for the paging tests.
 */
#ifndef SGXEMU_TESTS_PAGING_FIXTURE_H
#define SGXEMU_TESTS_PAGING_FIXTURE_H

#include "cpu_fixture.h"

/* What EWB hands back for one page: the kernel's backing page, PCMD and PAGEINFO. */
struct paging_blob {
	uint8_t data[4096] __attribute__((aligned(4096)));
	struct sgx_pcmd pcmd;
	struct sgx_pageinfo pi;
	uint64_t linaddr; /* PAGEINFO.LINADDR as EWB wrote it back */
};

struct paging_blob *paging_blob_new(void);
void paging_blob_free(struct paging_blob *b);
void paging_blob_copy(struct paging_blob *dst, const struct paging_blob *src);

/* EPA of a fresh frame (asserts success); paging_va_free EREMOVEs it and frees the frame. */
sgx_paddr_t paging_va_new(struct cpu_fixture *f);
void paging_va_free(struct cpu_fixture *f, sgx_paddr_t va);
/* The version in a VA slot (read from the CPU's view of the VA page, which must be valid). */
uint64_t paging_va_slot(struct cpu_fixture *f, sgx_paddr_t slot);

/* EWB of page into slot with b's buffers; returns the ENCLS value. */
int paging_ewb(struct sgx_lp *lp, sgx_paddr_t page, sgx_paddr_t slot, struct paging_blob *b);
/* ELDU (or ELDB) of b into dest from slot, with PAGEINFO.SECS = secs, LINADDR = b->linaddr. */
int paging_eld(struct sgx_lp *lp, struct paging_blob *b, sgx_paddr_t dest, sgx_paddr_t slot,
	       sgx_paddr_t secs, bool blocked);

/* The fixture_page of the enclave page at offset (fails the test if there is none). */
struct fixture_page *paging_page(struct fixture_enclave *e, uint64_t offset);
/* EBLOCK and ETRACK (asserting success), then EWB of the page at offset; the EWB's value. */
int paging_evict(struct fixture_enclave *e, uint64_t offset, sgx_paddr_t slot,
		 struct paging_blob *b);
/*
 * ELDU of the page at offset from b into a newly allocated frame; on success the enclave's record
 * moves to the new frame and the old one is freed. Returns the ENCLU value.
 */
int paging_reload(struct fixture_enclave *e, uint64_t offset, sgx_paddr_t slot,
		  struct paging_blob *b);

/* The SECS's hidden state and child count. */
struct sgx_secs_hidden *paging_hidden(struct fixture_enclave *e);
uint64_t paging_chldcnt(struct fixture_enclave *e);

/* Assertions on the last ENCLS of lp. */
void assert_encls_gp(struct sgx_lp *lp, int ret);
void assert_encls_pf(struct sgx_lp *lp, int ret, uint64_t addr);
/* #PF caused by EPC/EPCM state: P and SGX set in the error code. */
void assert_encls_epcm_pf(struct sgx_lp *lp, int ret, uint64_t addr);
/* A status code with ZF (carry = false) or CF (carry = true); 0 means success, no flags. */
void assert_encls_status(struct sgx_lp *lp, int ret, int code, bool carry);

#endif /* SGXEMU_TESTS_PAGING_FIXTURE_H */
