/* SPDX-License-Identifier: MIT */
/* The compat test programs' own SGX plumbing (libc, <asm/sgx.h> and the enclave ABI only). */
#ifndef APP_H
#define APP_H

#include <asm/sgx.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test_enclave_abi.h"

#define APP_MAX_TCS 16

/* ENCLU leaves and page types (the SDM's numbers; <asm/sgx.h> does not name them). */
#define SGX_ENCLU_EENTER 2
#define SGX_ENCLU_ERESUME 3
#define SGX_ENCLU_EEXIT 4
#define SGX_PAGE_TYPE_REG 2
#define SGX_PAGE_TYPE_TRIM 4

/* SECINFO.FLAGS bits (the SDM's; <asm/sgx.h> does not name them either). */
#define SECINFO_R 0x01
#define SECINFO_W 0x02
#define SECINFO_X 0x04
#define SECINFO_PENDING 0x08
#define SECINFO_MODIFIED 0x10
#define SECINFO_PR 0x20
#define SECINFO_PT(t) ((uint64_t)(t) << 8) /* the page type field */

/* #PF error code: the access violated the EPCM (the SGX bit). */
#define PF_SGX 0x8000

struct app_enclave {
	int fd;
	void *reservation;
	uint64_t base, size, image_end;
	unsigned int nr_tcs;
	uint64_t tcs[APP_MAX_TCS];
	uint8_t *page_prot, *page_added;
};

void app_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
bool app_cpu_has_sgx(bool *sgx2, bool *flc);
void *app_vdso_sym(const char *name, const char *version);

/* Loads sgxs + sig through /dev/sgx_enclave. 0, or -errno with a reason in err. */
int app_load(const char *sgxs, const char *sig, bool map_free, struct app_enclave *e, char *err,
	     size_t errlen);
void app_unload(struct app_enclave *e);

extern vdso_sgx_enter_enclave_t app_vdso_enter;
int app_vdso_call(unsigned long rdi, unsigned long rsi, unsigned long rdx, unsigned int function,
		  unsigned long r8, unsigned long r9, struct sgx_enclave_run *run,
		  vdso_sgx_enter_enclave_t fn);
/* One ecall on TCS number tcs through the vDSO: the enclave's status, or < -999 on failure. */
int64_t app_call(const struct app_enclave *e, unsigned int tcs, unsigned int op,
		 struct te_args *args);
uint64_t app_raw_eenter(uint64_t tcs, uint64_t op, void *args);
extern char app_raw_aep[];

/* Where test_enclave.sgxs and .sig are ($APP_ENCLAVE_DIR, else the build tree's enclave/). */
const char *app_dir(void);

#endif
