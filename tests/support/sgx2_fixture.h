/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the SGX2 tests: the three ioctls with errno returned (not -1/errno), enclave calls
 * for EACCEPT/EMODPE/READ/WRITE/TOUCH that assert the call itself completed, accesses that are
 * expected to fault (the exception report is returned and the access skipped by the enclave's
 * handler), and a look at the EPCM for checks the uAPI cannot make.
 */
#ifndef SGXEMU_TESTS_SGX2_FIXTURE_H
#define SGXEMU_TESTS_SGX2_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "runtime_fixture.h"

/* SECINFO.FLAGS as the enclave passes them to EACCEPT/EMODPE. */
#define S2_REG ((uint64_t)SGX_PAGE_TYPE_REG << 8)
#define S2_TCS ((uint64_t)SGX_PAGE_TYPE_TCS << 8)
#define S2_TRIM ((uint64_t)SGX_PAGE_TYPE_TRIM << 8)
#define S2_R 0x1ULL
#define S2_W 0x2ULL
#define S2_X 0x4ULL
#define S2_PENDING (1ULL << 3)
#define S2_MODIFIED (1ULL << 4)
#define S2_PR (1ULL << 5)

#define S2_PAGE 4096ULL

/*
 * Loads the test enclave (4 threads, NSSA 3, 2 MiB heap, 8 MiB of free ELRANGE) with the free
 * ELRANGE mapped RW, and sets TE_ACTION_SKIP as the exception policy.
 */
struct sgxemu_enclave *s2_load(void);
struct te_info s2_info(struct sgxemu_enclave *e, unsigned int tcs);

/*
 * The ioctls at enclave offsets: 0 or the errno; *out (may be NULL) receives the argument struct
 * as the kernel left it.
 */
int s2_restrict(struct sgxemu_enclave *e, uint64_t offset, uint64_t length, uint64_t perms,
		struct sgx_enclave_restrict_permissions *out);
int s2_modt(struct sgxemu_enclave *e, uint64_t offset, uint64_t length, uint64_t type,
	    struct sgx_enclave_modify_types *out);
int s2_remove(struct sgxemu_enclave *e, uint64_t offset, uint64_t length,
	      struct sgx_enclave_remove_pages *out);
/* The raw ioctl: 0 or errno. */
int s2_ioctl(struct sgxemu_enclave *e, unsigned long cmd, void *arg);

/* Enclave leaves through the test enclave on TCS tcs: RAX after ENCLU (the SGX status). */
uint64_t s2_eaccept(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags);
uint64_t s2_eacceptcopy(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags,
			uint64_t src);
void s2_emodpe(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags);
uint64_t s2_read(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr);
void s2_write(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t value);
/* TE_OP_TOUCH over npages from addr; returns the op's output (asserts TE_OK). */
struct te_touch s2_touch(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t npages,
			 uint64_t seed, uint32_t mode);

/* An exception as the vDSO caller saw it (vector 0 and function EEXIT: none). */
struct s2_exception {
	unsigned int count;
	uint32_t function;
	uint16_t vector, error_code;
	uint64_t addr;
};

/*
 * Runs TE_OP_FAULT of `kind` (TE_FAULT_READ, _WRITE, _EXEC) at addr on TCS tcs. On an exception
 * the user handler records the first report, runs the enclave's handler (second phase, which
 * skips the access) and ERESUMEs, so the call always completes. Returns what was seen.
 */
struct s2_exception s2_access(struct sgxemu_enclave *e, unsigned int tcs, unsigned int kind,
			      uint64_t addr);

/* The EPCM entry of the page at addr, if a frame holds it (else .valid = false). */
struct sgx_epcm_info s2_epcm(struct sgxemu_enclave *e, uint64_t addr);
/* Whether the kernel has a page record at addr, and its type. */
bool s2_kernel_page(struct sgxemu_enclave *e, uint64_t addr, unsigned int *type, uint8_t *max_prot);
/* sgx_platform_check on the default platform; fails the test with its message. */
void s2_check_platform(void);

#endif /* SGXEMU_TESTS_SGX2_FIXTURE_H */
