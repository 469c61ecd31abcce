/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_CREATE through sgxemu_ioctl: every errno row of ref §1.5 that does not need
 * reclaim, in the kernel's check order, and that a failure leaves no EPC behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <string.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave e;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->p = kfix_boot(NULL);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_shutdown(c->p);
	free(c);
	return 0;
}

/* A failed CREATE leaves nothing in the EPC and the enclave can still be created. */
static void assert_clean_failure(struct ctx *c)
{
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_check(c->p);
	c->e.secs.base = KFIX_BASE;
	c->e.secs.size = KFIX_SIZE;
}

static void create_succeeds(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl *encl;

	assert_int_equal(kfix_create(&c->e), 0);
	/* SECS + the first VA page. */
	assert_int_equal(kfix_free_pages(c->p), c->free0 - 2);
	encl = sgx_encl_from_fd(c->e.fd);
	assert_false(IS_ERR(encl));
	assert_true(sgx_encl_test_flag(encl, SGX_ENCL_CREATED));
	assert_false(sgx_encl_test_flag(encl, SGX_ENCL_DEBUG));
	assert_int_equal(encl->base, KFIX_BASE);
	assert_int_equal(encl->size, KFIX_SIZE);
	assert_int_equal(encl->attributes_mask, SGX_ATTR_UNPRIV_MASK);
	sgx_encl_put(encl);
	kfix_check(c->p);
}

static void create_debug_sets_flag(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl *encl;

	c->e.secs.attributes.flags |= SGX_ATTR_DEBUG;
	assert_int_equal(kfix_create(&c->e), 0);
	encl = sgx_encl_from_fd(c->e.fd);
	assert_true(sgx_encl_test_flag(encl, SGX_ENCL_DEBUG));
	sgx_encl_put(encl);
}

static void create_twice_is_einval(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(kfix_create(&c->e), 0);
	assert_int_equal(kfix_create(&c->e), -EINVAL);
	/* Even with a bad argument pointer: the state check comes first. */
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, NULL), -EINVAL);
}

static void create_bad_arg_is_efault(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, NULL), -EFAULT);
	/* Four of the eight bytes readable. */
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, kfix_edge(4)), -EFAULT);
	assert_clean_failure(c);
	assert_int_equal(kfix_create(&c->e), 0);
}

static void create_readonly_arg_is_fine(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_create create = { .src = (uint64_t)(uintptr_t)&c->e.secs };

	/* CREATE only reads its argument. */
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE,
				    kfix_readonly_page(&create, sizeof(create))),
			 0);
}

static void create_bad_secs_is_efault(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_create create = { .src = 0 };
	uint8_t *edge;

	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, &create), -EFAULT);
	/* The SECS may be unaligned, but all 4096 bytes must be readable. */
	edge = kfix_edge(4095);
	memcpy(edge, &c->e.secs, 4095);
	create.src = (uint64_t)(uintptr_t)edge;
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, &create), -EFAULT);
	assert_clean_failure(c);
}

static void create_unaligned_secs_source_works(void **state)
{
	struct ctx *c = *state;
	static uint8_t buf[8192] __attribute__((aligned(4096)));
	struct sgx_enclave_create create = { .src = (uint64_t)(uintptr_t)(buf + 13) };

	memcpy(buf + 13, &c->e.secs, sizeof(c->e.secs));
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, &create), 0);
}

static void create_size_not_power_of_2_is_einval(void **state)
{
	static const uint64_t sizes[] = { 0, 0x3000, 0x10001, 0x30000, ~0ULL };
	struct ctx *c = *state;
	uint64_t encls0[SGX_ENCLS_NR_LEAVES];
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(c->p->cpu, &stats);
	memcpy(encls0, stats.encls, sizeof(encls0));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		c->e.secs.size = sizes[i];
		assert_int_equal(kfix_create(&c->e), -EINVAL);
	}
	/* Checked before any EPC is touched: not one ENCLS. */
	sgx_cpu_get_stats(c->p->cpu, &stats);
	assert_memory_equal(encls0, stats.encls, sizeof(encls0));
	assert_clean_failure(c);
	assert_int_equal(kfix_create(&c->e), 0);
}

static void create_without_epc_is_enomem(void **state)
{
	struct ctx *c = *state;
	struct kfix_hog hog;

	/* No page for the VA page. */
	kfix_hog_epc(c->p, 0, &hog);
	assert_int_equal(kfix_create(&c->e), -ENOMEM);
	kfix_release_epc(c->p, &hog);
	assert_clean_failure(c);

	/* One page: the VA page gets it, the SECS does not; the VA page is given back. */
	kfix_hog_epc(c->p, 1, &hog);
	assert_int_equal(kfix_create(&c->e), -ENOMEM);
	assert_int_equal(kfix_free_pages(c->p), 1);
	kfix_release_epc(c->p, &hog);
	assert_clean_failure(c);

	kfix_hog_epc(c->p, 2, &hog);
	assert_int_equal(kfix_create(&c->e), 0);
	assert_int_equal(kfix_free_pages(c->p), 0);
	kfix_release_epc(c->p, &hog);
}

static void create_epa_fault_is_efault(void **state)
{
	struct ctx *c = *state;
	uint64_t seq = sgx_log_seq();

	assert_int_equal(sgx_inject_encls(c->p, EPA, SGX_INJECT_ANY_FRAME,
					  SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 1),
			 0);
	assert_int_equal(kfix_create(&c->e), -EFAULT);
	assert_int_equal(kfix_log_count(seq, "EPA returned 1073741837 (0x4000000d)"), 1);
	assert_clean_failure(c);
	assert_int_equal(kfix_create(&c->e), 0);
}

static void create_huge_backing_is_einval(void **state)
{
	struct ctx *c = *state;

	/*
	 * 2^63 is a power of two, but the backing store (SIZE + SECS + 1/32) is larger than any
	 * file can be: shmem's EINVAL, before the SECS is even allocated (not ECREATE's EIO).
	 */
	c->e.secs.size = 1ULL << 63;
	c->e.secs.base = 0;
	assert_int_equal(kfix_create(&c->e), -EINVAL);
	assert_clean_failure(c);
	/* 2^62 is a valid file size: ECREATE itself refuses it (beyond the maximum enclave size). */
	c->e.secs.size = 1ULL << 62;
	c->e.secs.base = 0;
	assert_int_equal(kfix_create(&c->e), -EIO);
	assert_clean_failure(c);
}

static const char *const refusals[] = {
	"base not aligned to size",
	"size one page",
	"INIT attribute",
	"reserved attribute bit 3",
	"reserved attribute bit 63",
	"32-bit enclave above 4 GiB",
	"non-canonical base",
	"XFRM without SSE",
	"SSA frame size 0",
	"reserved MISCSELECT bit",
	"reserved SECS byte",
	"CONFIGSVN without KSS",
};

static void make_refusal(struct sgx_secs *secs, size_t i)
{
	switch (i) {
	case 0:
		secs->base += 0x1000;
		break;
	case 1:
		secs->size = 0x1000;
		break;
	case 2:
		secs->attributes.flags |= SGX_ATTR_INIT;
		break;
	case 3:
		secs->attributes.flags |= 1ULL << 3;
		break;
	case 4:
		secs->attributes.flags |= 1ULL << 63;
		break;
	case 5:
		secs->attributes.flags &= ~SGX_ATTR_MODE64BIT;
		break;
	case 6:
		secs->base = 0x0000800000000000ULL;
		break;
	case 7:
		secs->attributes.xfrm = 0x1;
		break;
	case 8:
		secs->ssa_frame_size = 0;
		break;
	case 9:
		secs->miscselect = 1U << 5;
		break;
	case 10:
		secs->reserved4[100] = 1;
		break;
	case 11:
		secs->config_svn = 1;
		break;
	}
}

static void create_cpu_refusal_is_eio(void **state)
{
	struct ctx *c = *state;
	struct sgx_secs good = c->e.secs;

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		c->e.secs = good;
		make_refusal(&c->e.secs, i);
		if (kfix_create(&c->e) != -EIO)
			fail_msg("%s: expected EIO", refusals[i]);
		/* The SECS page was EREMOVEd and freed, and so was the VA page. */
		assert_int_equal(kfix_free_pages(c->p), c->free0);
	}
	c->e.secs = good;
	kfix_check(c->p);
	assert_int_equal(kfix_create(&c->e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(create_debug_sets_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(create_twice_is_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(create_bad_arg_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(create_readonly_arg_is_fine, setup, teardown),
		cmocka_unit_test_setup_teardown(create_bad_secs_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(create_unaligned_secs_source_works, setup,
						teardown),
		cmocka_unit_test_setup_teardown(create_size_not_power_of_2_is_einval, setup,
						teardown),
		cmocka_unit_test_setup_teardown(create_without_epc_is_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(create_epa_fault_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(create_huge_backing_is_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(create_cpu_refusal_is_eio, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
