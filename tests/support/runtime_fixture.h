/* SPDX-License-Identifier: MIT */
/*
 * A fixture for tests that run the project's test enclave natively: packs
 * build/enclave/test_enclave.elf in memory, signs it with a key made once per process, loads it
 * through the in-process device API (sgxemu_open/ioctl/mmap) with the loader, and enters it
 * through sgxemu_enter_enclave, the vDSO contract.
 */
#ifndef SGXEMU_TESTS_RUNTIME_FIXTURE_H
#define SGXEMU_TESTS_RUNTIME_FIXTURE_H

#include <asm/sgx.h>
#include <stdbool.h>
#include <stdint.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "../../enclave/test_enclave_abi.h"

struct rfix_options {
	unsigned int threads; /* default 4 */
	uint32_t nssa;	      /* default 3 */
	uint64_t heap_size;   /* default 2 MiB */
	uint64_t reserve;     /* free ELRANGE for SGX2; default 8 MiB */
	uint64_t xfrm;	      /* default 3 */
	bool no_exinfo;	      /* default: MISCSELECT.EXINFO set */
	unsigned int load_flags; /* SGXEMU_LOAD_* */
};

/* The loader's system calls, as sgxemu's in-process device API. */
extern const struct sgxemu_loader_ops rfix_sgxemu_ops;

/* Loads a test enclave (asserts on failure). opts may be NULL. */
struct sgxemu_enclave *rfix_load(const struct rfix_options *opts);
void rfix_unload(struct sgxemu_enclave *e);

/*
 * One ordinary call through sgxemu_enter_enclave on TCS number tcs: returns the status in
 * args->status; asserts that the vDSO call itself returned 0 with function EEXIT.
 */
int64_t rfix_call(struct sgxemu_enclave *e, unsigned int tcs, unsigned int op,
		  struct te_args *args);

/*
 * sgxemu_enter_enclave (or any function with the vDSO's contract) called from C with the
 * callee-saved registers preserved around it (see vdso_call.S).
 */
int rfix_vdso_call(unsigned long rdi, unsigned long rsi, unsigned long rdx, unsigned int function,
		   unsigned long r8, unsigned long r9, struct sgx_enclave_run *run,
		   vdso_sgx_enter_enclave_t fn);
#define rfix_enter_enclave(rdi, rsi, rdx, function, r8, r9, run) \
	rfix_vdso_call(rdi, rsi, rdx, function, r8, r9, run, sgxemu_enter_enclave)

/*
 * A vDSO-contract call with known extended state around it (vector_call.S): YMM2-YMM5 and MXCSR
 * are loaded from the _in fields right before the call and stored to the _out fields right after.
 * Needs AVX.
 */
struct rfix_vector_call {
	uint64_t rdi, rsi;
	uint32_t function, pad0;
	struct sgx_enclave_run *run;
	vdso_sgx_enter_enclave_t fn;
	int32_t ret;
	uint32_t mxcsr_in, mxcsr_out;
	uint8_t pad1[12];
	uint8_t ymm_in[4][32];
	uint8_t ymm_out[4][32];
};
_Static_assert(__builtin_offsetof(struct rfix_vector_call, run) == 24, "vector_call.S");
_Static_assert(__builtin_offsetof(struct rfix_vector_call, ret) == 40, "vector_call.S");
_Static_assert(__builtin_offsetof(struct rfix_vector_call, mxcsr_out) == 48, "vector_call.S");
_Static_assert(__builtin_offsetof(struct rfix_vector_call, ymm_in) == 64, "vector_call.S");
_Static_assert(__builtin_offsetof(struct rfix_vector_call, ymm_out) == 192, "vector_call.S");
void rfix_vdso_call_vectors(struct rfix_vector_call *c);

/* The same with a caller-prepared run struct (user_handler, exception fields); the vDSO's return. */
int rfix_enter(struct sgxemu_enclave *e, unsigned int op, struct te_args *args,
	       struct sgx_enclave_run *run);

#endif /* SGXEMU_TESTS_RUNTIME_FIXTURE_H */
