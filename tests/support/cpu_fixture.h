/* SPDX-License-Identifier: MIT */
/*
 * A test fixture for the CPU: a processor with a small EPC, sanitised (EREMOVE of every frame, as
 * the kernel does at boot), a trivial frame allocator over all frames, LP 0 held for the test, and
 * helpers that build the standard small enclave through the real leaves:
 *
 *   offset   page   SECINFO        contents
 *   0x0000   TCS    TCS (0x100)    OSSA 0x1000, NSSA 2, OENTRY 0x3000, OFS/OGSBASE 0x4000
 *   0x1000   SSA    REG RW         zeros (SSA frame 0; SSAFRAMESIZE 1)
 *   0x2000   SSA    REG RW         zeros (SSA frame 1)
 *   0x3000   code   REG RX         fixture_code_page pattern
 *   0x4000   data   REG RW         fixture_data_page pattern
 *   0x5000   rodata REG R          fixture_rodata_page pattern
 *
 * in ELRANGE [FIXTURE_BASE, FIXTURE_BASE + FIXTURE_SIZE), every page EADDed and EEXTENDed in
 * full, signed with a key generated once per process (sgxemu_sign), so that EINIT succeeds
 * without a token when the LP's launch-key MSRs hold the signer's hash.
 *
 * Helpers that assert do so with cmocka; helpers that return an ENCLS value let a test look at
 * failures. Everything is cleaned up by fixture_enclave_destroy and cpu_fixture_destroy.
 */
#ifndef SGXEMU_TESTS_CPU_FIXTURE_H
#define SGXEMU_TESTS_CPU_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sgxemu/sign.h>

#include "cpu/cpu_internal.h"

struct cpu_fixture_config {
	const char *epc;  /* default "1M" */
	bool sgx1_only;	  /* default: SGX2 on */
	bool no_flc;	  /* default: flexible launch control on */
	unsigned int lps; /* default 2 */
	const char *root_seed; /* default: a random root key (SGXEMU_ROOT_SEED semantics) */
};

struct cpu_fixture {
	struct sgx_cpu *cpu;
	struct sgx_lp *lp; /* LP 0, held from create to destroy */
	pthread_mutex_t lock;
	sgx_paddr_t *free_frames;
	uint64_t nr_free;
	uint64_t nr_frames;
};

/* config may be NULL for the defaults. */
struct cpu_fixture *cpu_fixture_create(const struct cpu_fixture_config *config);
void cpu_fixture_destroy(struct cpu_fixture *f);
/* A free frame (fails the test if none is left); thread-safe. */
sgx_paddr_t cpu_fixture_alloc(struct cpu_fixture *f);
void cpu_fixture_free(struct cpu_fixture *f, sgx_paddr_t frame);
uint64_t cpu_fixture_nr_free(struct cpu_fixture *f);

/* Writes IA32_SGXLEPUBKEYHASH0..3 of lp (asserts success: FLC only). */
void fixture_set_lepubkeyhash(struct sgx_lp *lp, const uint8_t hash[32]);

/* The process-wide test signing key (RSA-3072, e = 3) and its MRSIGNER. */
EVP_PKEY *fixture_signing_key(void);
void fixture_signer_hash(uint8_t mrsigner[32]);

#define FIXTURE_BASE 0x10000000ULL
#define FIXTURE_SIZE 0x10000ULL
#define FIXTURE_TCS_OFFSET 0x0000
#define FIXTURE_SSA_OFFSET 0x1000
#define FIXTURE_NSSA 2
#define FIXTURE_CODE_OFFSET 0x3000
#define FIXTURE_DATA_OFFSET 0x4000
#define FIXTURE_RODATA_OFFSET 0x5000
#define FIXTURE_MAX_PAGES 64

extern const uint8_t fixture_code_page[4096];
extern const uint8_t fixture_data_page[4096];
extern const uint8_t fixture_rodata_page[4096];

struct fixture_page {
	uint64_t offset; /* from BASEADDR */
	uint64_t flags;	 /* SECINFO.FLAGS given to EADD */
	sgx_paddr_t frame;
};

struct fixture_enclave {
	struct cpu_fixture *f;
	sgx_paddr_t secs;	    /* 0 until ECREATE succeeded */
	struct sgx_secs secs_image; /* what ECREATE is given; tests may edit it before */
	unsigned int nr_pages;
	struct fixture_page pages[FIXTURE_MAX_PAGES];
	/* The same blocks the CPU hashes, computed on the side for ENCLAVEHASH. */
	struct sgx_measurement measurement;
	struct sgxemu_sign_fields sign_fields; /* tests may edit them before fixture_enclave_sign */
	struct sgx_sigstruct sigstruct __attribute__((aligned(4096)));
	struct sgx_einittoken token __attribute__((aligned(512))); /* zero: no token */
};

/*
 * Fills secs_image (BASE, SIZE, SSAFRAMESIZE 1, XFRM 3, the given ATTRIBUTES.FLAGS) and the sign
 * fields that match it. Nothing is run yet.
 */
void fixture_enclave_init(struct fixture_enclave *e, struct cpu_fixture *f, uint64_t attributes);
/* ECREATE with secs_image; returns the ENCLS value (on success e->secs is set). */
int fixture_ecreate(struct fixture_enclave *e);
/*
 * EADD of one page at offset with flags and contents (NULL: zeros), then EEXTEND of all of it if
 * measure. Returns the first non-zero ENCLS value (the page is recorded only on success).
 */
int fixture_eadd(struct fixture_enclave *e, uint64_t offset, uint64_t flags, const void *contents,
		 bool measure);
/* A TCS image for the standard layout (OSSA, NSSA, OENTRY, OFS/OGSBASE as above). */
void fixture_tcs_image(struct sgx_tcs *tcs);
/* ECREATE and the standard pages; asserts success. */
void fixture_enclave_build(struct fixture_enclave *e);
/* SIGSTRUCT over the side measurement with sign_fields and the test key. */
void fixture_enclave_sign(struct fixture_enclave *e);
/* EINIT with e->sigstruct and e->token on lp; returns the ENCLS value. */
int fixture_einit(struct fixture_enclave *e, struct sgx_lp *lp);
/*
 * The whole standard flow: build, sign, set the LP's MSRs to the signer (with FLC) and EINIT;
 * asserts success.
 */
void fixture_enclave_create(struct fixture_enclave *e, struct cpu_fixture *f, uint64_t attributes);
/* Sets the CPU page-table entries of every page (TCS RW, REG by its SECINFO permissions). */
void fixture_enclave_map(struct fixture_enclave *e);
/* The frame of the page at offset, or 0. */
sgx_paddr_t fixture_page_frame(const struct fixture_enclave *e, uint64_t offset);
/* EREMOVE of every child page still recorded, then of the SECS; frees the frames. */
void fixture_enclave_destroy(struct fixture_enclave *e);
/* Forgets the page at offset (a test removed or evicted it itself). */
void fixture_enclave_forget(struct fixture_enclave *e, uint64_t offset);

/* --- answers ---------------------------------------------------------------------------------- */

/* The ENCLS value ret is #GP (and the LP's recorded fault says so). */
void fixture_assert_gp(struct sgx_lp *lp, int ret);
/* #PF at addr; with sgx, the EPCM kind (P and PFEC.SGX set). */
void fixture_assert_pf(struct sgx_lp *lp, int ret, uint64_t addr, bool sgx);
/* Status code `code` with ZF set (CF for informational ones: carry). */
void fixture_assert_status(struct sgx_lp *lp, int ret, int code, bool carry);
/* Success: 0 and no ZF/CF. */
void fixture_assert_ok(struct sgx_lp *lp, int ret);

/* A 4 KiB-aligned address whose page cannot be read or written (PROT_NONE), for #PF tests. */
uint64_t fixture_bad_pointer(void);

/* The SECS frame index, page and hidden state of an enclave. */
uint64_t fixture_secs_index(const struct fixture_enclave *e);
struct sgx_secs *fixture_secs(const struct fixture_enclave *e);
struct sgx_secs_hidden *fixture_hidden(const struct fixture_enclave *e);
struct sgx_epcm_entry *fixture_epcm(struct cpu_fixture *f, sgx_paddr_t frame);

#endif /* SGXEMU_TESTS_CPU_FIXTURE_H */
