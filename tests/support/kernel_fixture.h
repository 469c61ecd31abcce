/* SPDX-License-Identifier: MIT */
/*
 * A test fixture for the kernel layer: boot a platform with a small EPC, build enclaves purely
 * through the device API (sgxemu_open/ioctl/close on the platform), keep a side measurement of
 * what was added so that SIGSTRUCTs can be made, and check the platform's invariants.
 *
 * The standard enclave (kfix_build_standard) at [KFIX_BASE, KFIX_BASE + KFIX_SIZE):
 *
 *   offset   page   SECINFO        contents
 *   0x0000   TCS    TCS (0x100)    OSSA 0x1000, NSSA 2, OENTRY 0x3000
 *   0x1000   SSA    REG RW         zeros (SSA frame 0; SSAFRAMESIZE 1)
 *   0x2000   SSA    REG RW         zeros (SSA frame 1)
 *   0x3000   code   REG RX         0xC3 pattern
 *   0x4000   data   REG RW         0xDA pattern
 *
 * Every helper that returns an int returns 0 or -errno, so that tests can assert on errnos.
 */
#ifndef SGXEMU_TESTS_KERNEL_FIXTURE_H
#define SGXEMU_TESTS_KERNEL_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sgxemu/sign.h>

#include "cpu/measure.h"
#include "kernel/sgx.h"

struct kfix_config {
	const char *epc;   /* default "1M" */
	bool sgx1_only;	   /* default: SGX2 on */
	bool no_flc;	   /* default: flexible launch control on */
	bool launch_cache; /* default: mainline launch control */
	unsigned int lps;  /* default 2 */
	/*
	 * default: ksgxd frozen (sgx_reclaimer_freeze), so that the EPC changes only through what
	 * the test does (direct reclaim by the ioctls still runs); true lets it run.
	 */
	bool ksgxd;
	/* More configuration, as "key=value" (sgxemu_config_set), NULL-terminated (or full). */
	const char *settings[8];
};

/* Boot a platform (asserts). config may be NULL. */
struct sgx_platform *kfix_boot(const struct kfix_config *config);
/* Check the invariants, then destroy (asserts that the check passes). */
void kfix_shutdown(struct sgx_platform *platform);
/* Assert that sgx_platform_check passes, printing the violation if not. */
void kfix_check(struct sgx_platform *platform);
/* Free EPC pages right now. */
uint64_t kfix_free_pages(struct sgx_platform *platform);

/* sgxemu_ioctl as 0 / -errno. */
int kfix_ioctl(int fd, unsigned long request, void *arg);

#define KFIX_BASE 0x100000000ULL
#define KFIX_SIZE 0x10000ULL
#define KFIX_TCS_OFFSET 0x0000
#define KFIX_SSA_OFFSET 0x1000
#define KFIX_NSSA 2
#define KFIX_CODE_OFFSET 0x3000
#define KFIX_DATA_OFFSET 0x4000

#define KFIX_SECINFO_TCS SGX_SECINFO_TCS
#define KFIX_SECINFO_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define KFIX_SECINFO_RX (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X)
#define KFIX_SECINFO_R (SGX_SECINFO_REG | SGX_SECINFO_R)

struct kfix_enclave {
	struct sgx_platform *platform;
	int fd;
	struct sgx_secs secs;		    /* CREATE takes it at any alignment */
	struct sgx_measurement measurement; /* the blocks the CPU hashes, on the side */
	struct sgxemu_sign_fields fields;   /* tests may edit them before kfix_sign */
	struct sgx_sigstruct sigstruct;
};

/* Opens /dev/sgx_enclave on platform; fills the SECS (KFIX_BASE/SIZE, SSAFRAMESIZE 1, XFRM 3). */
void kfix_enclave_init(struct kfix_enclave *e, struct sgx_platform *platform, uint64_t attributes);
/* SGX_IOC_ENCLAVE_CREATE with e->secs. */
int kfix_create(struct kfix_enclave *e);
/* SGX_IOC_ENCLAVE_ADD_PAGES of npages copies of data (NULL: zeros) at offset. */
int kfix_add(struct kfix_enclave *e, uint64_t offset, uint64_t flags, const void *data,
	     bool measure);
int kfix_add_pages(struct kfix_enclave *e, uint64_t offset, unsigned int npages, uint64_t flags,
		   const void *data, bool measure, uint64_t *count);
/* A TCS for the standard layout. */
void kfix_tcs_image(struct sgx_tcs *tcs, uint64_t ossa, uint32_t nssa, uint64_t oentry);
/* CREATE and the standard pages (asserts). */
void kfix_build_standard(struct kfix_enclave *e);
/* The side measurement's MRENCLAVE. */
void kfix_mrenclave(struct kfix_enclave *e, uint8_t mrenclave[32]);
/* SIGSTRUCT over the side measurement with e->fields and key (NULL: the fixture key). */
void kfix_sign(struct kfix_enclave *e, EVP_PKEY *key);
/* SGX_IOC_ENCLAVE_INIT with e->sigstruct. */
int kfix_init(struct kfix_enclave *e);
/* init + standard build + sign + INIT (asserts). */
void kfix_enclave_create(struct kfix_enclave *e, struct sgx_platform *platform,
			 uint64_t attributes);
void kfix_close(struct kfix_enclave *e);

/*
 * User memory that faults: kfix_edge(n) is an address whose first n bytes are readable and whose
 * following bytes are not (the next page is PROT_NONE); kfix_readonly_page() is a page that can
 * be read but not written. Both live until the process ends.
 */
void *kfix_edge(size_t n);
void *kfix_readonly_page(const void *contents, size_t len);

/* Allocate EPC pages until only `leave` are free; returns them for kfix_release_epc. */
struct kfix_hog {
	struct sgx_epc_page **pages;
	uint64_t nr;
};
void kfix_hog_epc(struct sgx_platform *platform, uint64_t leave, struct kfix_hog *hog);
void kfix_release_epc(struct sgx_platform *platform, struct kfix_hog *hog);

/* Runs sgxemu_ioctl in a thread (for pause-point and signal tests). */
struct kfix_thread {
	pthread_t thread;
	int fd;
	unsigned long request;
	void *arg;
	int ret; /* 0 or -errno */
};
void kfix_thread_start(struct kfix_thread *t, int fd, unsigned long request, void *arg);
int kfix_thread_join(struct kfix_thread *t);

/* Log messages containing needle since seq (sgx_log_seq()). */
size_t kfix_log_count(uint64_t seq, const char *needle);

/* A second RSA-3072/e=3 key, made once per process (launch-control tests need two signers). */
EVP_PKEY *kfix_second_key(void);

#endif /* SGXEMU_TESTS_KERNEL_FIXTURE_H */
