/* SPDX-License-Identifier: MIT */
/*
 * A test environment for ENCLU: a processor (cpu_fixture), an initialized enclave built through
 * the real leaves with a configurable SSA layout, its pages mapped in the CPU's page table, one
 * logical processor for ENCLU, a register file and a standard-format XSAVE image.
 *
 * Layout (offsets from ENV_BASE):
 *   0x0000                 TCS (OSSA 0x1000, NSSA, OENTRY = code, OFS/OGSBASE = data)
 *   0x1000                 NSSA SSA frames of SSAFRAMESIZE pages each (REG RW, zeros)
 *   code                   REG RX    (enclu_env.code)
 *   data                   REG RW    (enclu_env.data)  - a second page after it, also RW
 *   rodata                 REG R     (enclu_env.rodata)
 *   free                   nothing: room for EAUG (enclu_env.free)
 */
#ifndef SGXEMU_TESTS_ENCLU_ENV_H
#define SGXEMU_TESTS_ENCLU_ENV_H

#include "cpu_fixture.h"
#include "cpu/enclu.h"

#define ENV_SIZE 0x40000ULL
#define ENV_XSAVE_BYTES 16384

struct enclu_env_opts {
	uint64_t attributes;	 /* ATTRIBUTES.FLAGS; MODE64BIT is added unless mode32 */
	uint64_t xfrm;		 /* default 0x3 */
	uint32_t miscselect;	 /* default 0 */
	uint32_t ssa_frame_size; /* default 1 */
	uint32_t nssa;		 /* default 2 */
	uint64_t base;		 /* default ENV_BASE */
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint16_t configsvn;
	uint8_t config_id[64];
	uint8_t isvfamilyid[16];
	uint8_t isvextprodid[16];
	uint8_t code_seed; /* changes MRENCLAVE */
	bool sgx1_only;
	bool no_einit;	       /* build and map, but leave the enclave uninitialized */
	bool mode32;	       /* a 32-bit enclave (MODE64BIT = 0) */
	const char *root_seed; /* NULL: the processor's random root key */
	struct cpu_fixture *f; /* share a processor (NULL: a new one) */
};

#define ENV_BASE 0x10000000ULL

struct enclu_env {
	struct cpu_fixture *f;
	bool own_fixture;
	struct fixture_enclave *e;
	struct sgx_cpu *cpu;
	struct sgx_tlp tlp;
	struct sgx_regs regs;
	struct sgx_xstate xs;
	uint8_t *xsave; /* ENV_XSAVE_BYTES, 64-aligned */
	uint64_t base, tcs, ssa, code, data, rodata, free;
	uint32_t nssa, ssa_frame_size;
};

struct enclu_env *enclu_env_create(const struct enclu_env_opts *opts);
void enclu_env_destroy(struct enclu_env *env);

/* The frame, EPCM entry and CPU-view bytes of the enclave page at linear address la. */
sgx_paddr_t env_frame(struct enclu_env *env, uint64_t la);
struct sgx_epcm_entry *env_epcm(struct enclu_env *env, uint64_t la);
uint8_t *env_kva(struct enclu_env *env, uint64_t la);
struct sgx_tcs *env_tcs(struct enclu_env *env);
/* GPRSGX / EXINFO of SSA frame i. */
struct sgx_gprsgx *env_gpr(struct enclu_env *env, uint32_t frame);
struct sgx_exinfo *env_exinfo(struct enclu_env *env, uint32_t frame);
uint8_t *env_ssa_xsave(struct enclu_env *env, uint32_t frame);

/* The kernel's EAUG of a page at la, mapped RW; recorded so that destroy removes it. */
sgx_paddr_t env_eaug(struct enclu_env *env, uint64_t la);

/* A register file with distinct values in every register (seed varies them). */
void env_fill_regs(struct sgx_regs *regs, uint64_t seed);
/* A host XSAVE image with x87/SSE state set (XSTATE_BV = x87|SSE) and the host's XCR0. */
void env_fill_xstate(struct enclu_env *env, uint8_t seed);

/* ENCLU with leaf in RAX and the given RBX/RCX/RDX; returns sgx_enclu()'s result. */
int env_enclu(struct enclu_env *env, unsigned int leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx,
	      struct sgx_fault *fault);
/* EENTER on the env's TCS with AEP and host RIP/RSP/RBP set; asserts success. */
void env_eenter(struct enclu_env *env);
/* EEXIT to a fixed host address; asserts success. */
void env_eexit(struct enclu_env *env);
/* An AEX for an interrupt (EXITINFO not valid). */
void env_aex_interrupt(struct enclu_env *env);

/* The host addresses the helpers use. */
#define ENV_AEP 0x7f0000001000ULL
#define ENV_HOST_RIP 0x7f0000002000ULL
#define ENV_HOST_RSP 0x7ffff0000000ULL
#define ENV_HOST_RBP 0x7ffff0001000ULL
#define ENV_HOST_FS 0x7f0000100000ULL
#define ENV_HOST_GS 0x7f0000200000ULL
#define ENV_EXIT_TARGET 0x7f0000003000ULL

void assert_fault(int ret, const struct sgx_fault *fault, uint8_t vector, uint64_t addr,
		  uint32_t error_code);
#define assert_gp(ret, fault) assert_fault(ret, fault, X86_TRAP_GP, 0, 0)

#endif /* SGXEMU_TESTS_ENCLU_ENV_H */
