/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_INIT and SGX_IOC_ENCLAVE_PROVISION through sgxemu_ioctl: every errno row of
 * ref §1.5 (the signal rows are in test_kernel_concurrency), the EINIT retry loop, and the
 * PROVISION quirk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave e;
};

static int setup_attrs(void **state, uint64_t attributes)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->p = kfix_boot(NULL);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_init(&c->e, c->p, attributes);
	*state = c;
	return 0;
}

static int setup(void **state)
{
	struct ctx *c;

	setup_attrs(state, SGX_ATTR_MODE64BIT);
	c = *state;
	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	return 0;
}

static int setup_provision(void **state)
{
	return setup_attrs(state, SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	kfix_check(c->p);
	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_shutdown(c->p);
	free(c);
	return 0;
}

static bool initialized(struct ctx *c)
{
	struct sgx_encl *encl = sgx_encl_from_fd(c->e.fd);
	bool init;

	assert_false(IS_ERR(encl));
	init = sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED);
	sgx_encl_put(encl);
	return init;
}

static int init_with(struct ctx *c, const void *sigstruct)
{
	struct sgx_enclave_init init = { .sigstruct = (uint64_t)(uintptr_t)sigstruct };

	return kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_INIT, &init);
}

static void init_succeeds(void **state)
{
	struct ctx *c = *state;
	struct sgx_encl *encl;
	uint8_t mrenclave[32];

	assert_int_equal(kfix_init(&c->e), 0);
	assert_true(initialized(c));
	/* The SECS holds the measurement the kernel built page by page. */
	encl = sgx_encl_from_fd(c->e.fd);
	kfix_mrenclave(&c->e, mrenclave);
	assert_memory_equal(sgx_secs_page(c->p->cpu, (uint64_t)sgx_frame_index(
							     c->p->cpu, encl->secs.epc_page->paddr))
				    ->mrenclave,
			    mrenclave, 32);
	sgx_encl_put(encl);
}

static void init_state_checks(void **state)
{
	struct ctx *c = *state;
	struct kfix_enclave fresh;

	/* Not created: EINVAL before the argument is read. */
	kfix_enclave_init(&fresh, c->p, SGX_ATTR_MODE64BIT);
	assert_int_equal(kfix_ioctl(fresh.fd, SGX_IOC_ENCLAVE_INIT, NULL), -EINVAL);
	kfix_close(&fresh);

	/* Initialized: EINVAL, for INIT and for ADD_PAGES. */
	assert_int_equal(kfix_init(&c->e), 0);
	assert_int_equal(kfix_init(&c->e), -EINVAL);
	assert_int_equal(kfix_add(&c->e, 0x8000, KFIX_SECINFO_RW, NULL, true), -EINVAL);
}

static void init_bad_pointers_are_efault(void **state)
{
	struct ctx *c = *state;
	uint8_t *edge;

	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_INIT, NULL), -EFAULT);
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_INIT, kfix_edge(7)), -EFAULT);
	assert_int_equal(init_with(c, NULL), -EFAULT);
	/* The whole 1808 bytes must be readable (any alignment). */
	edge = kfix_edge(sizeof(c->e.sigstruct) - 1);
	memcpy(edge, &c->e.sigstruct, sizeof(c->e.sigstruct) - 1);
	assert_int_equal(init_with(c, edge), -EFAULT);
	assert_false(initialized(c));
	/* Unaligned but complete is fine, and so is a read-only argument. */
	edge = kfix_edge(sizeof(c->e.sigstruct));
	memcpy(edge, &c->e.sigstruct, sizeof(c->e.sigstruct));
	{
		struct sgx_enclave_init init = { .sigstruct = (uint64_t)(uintptr_t)edge };

		assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_INIT,
					    kfix_readonly_page(&init, sizeof(init))),
				 0);
	}
}

static void init_vendor_rule(void **state)
{
	struct ctx *c = *state;

	struct sgx_sigstruct sig = c->e.sigstruct;
	struct sgx_cpu_stats stats;
	uint64_t einit0;

	/* Checked by the kernel before EINIT (no signer makes these): EINVAL. */
	sgx_cpu_get_stats(c->p->cpu, &stats);
	einit0 = stats.encls[EINIT];
	sig.header.vendor = 0x1234;
	assert_int_equal(init_with(c, &sig), -EINVAL);
	sig.header.vendor = 0x8087;
	assert_int_equal(init_with(c, &sig), -EINVAL);
	sig.header.vendor = 0x80860000;
	assert_int_equal(init_with(c, &sig), -EINVAL);
	sgx_cpu_get_stats(c->p->cpu, &stats);
	assert_int_equal(stats.encls[EINIT], einit0);
	assert_false(initialized(c));
	/* 0x8086, signed as such, is fine. */
	c->e.fields.vendor = 0x8086;
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), 0);
}

static void init_reserved_bits_are_einval(void **state)
{
	struct ctx *c = *state;
	struct sgx_sigstruct sig;
	uint64_t encls_einit;
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(c->p->cpu, &stats);
	encls_einit = stats.encls[EINIT];

	/* A reserved attribute the signer enforces (in ATTRIBUTES and ATTRIBUTEMASK). */
	for (int bit = 0; bit < 64; bit++) {
		static const int reserved[] = { 3, 6, 8, 9, 11, 40, 63 };
		bool is_reserved = false;

		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			is_reserved |= reserved[i] == bit;
		if (!is_reserved)
			continue;
		sig = c->e.sigstruct;
		sig.body.attributes.flags |= 1ULL << bit;
		sig.body.attributes_mask.flags |= 1ULL << bit;
		assert_int_equal(init_with(c, &sig), -EINVAL);
	}
	/* A reserved MISCSELECT bit, enforced. */
	sig = c->e.sigstruct;
	sig.body.miscselect = 1U << 1;
	sig.body.misc_mask = 1U << 1;
	assert_int_equal(init_with(c, &sig), -EINVAL);
	/* An XFRM component this CPU does not have, enforced. */
	sig = c->e.sigstruct;
	sig.body.attributes.xfrm |= 1ULL << 62;
	sig.body.attributes_mask.xfrm |= 1ULL << 62;
	assert_int_equal(init_with(c, &sig), -EINVAL);
	/* None of these reached EINIT. */
	sgx_cpu_get_stats(c->p->cpu, &stats);
	assert_int_equal(stats.encls[EINIT], encls_einit);

	/* Not enforced (mask clear): the kernel lets it through and EINIT decides. */
	sig = c->e.sigstruct;
	sig.body.attributes.flags |= 1ULL << 63;
	sig.body.attributes_mask.flags &= ~(1ULL << 63);
	assert_int_equal(init_with(c, &sig), -EPERM); /* the signature no longer matches */
	assert_false(initialized(c));
	assert_int_equal(kfix_init(&c->e), 0);
}

static void init_sgx_status_is_eperm(void **state)
{
	struct ctx *c = *state;
	struct sgx_sigstruct sig;
	uint64_t seq = sgx_log_seq();

	/* Bad signature: SGX_INVALID_SIGNATURE. */
	sig = c->e.sigstruct;
	sig.signature[17] ^= 1;
	assert_int_equal(init_with(c, &sig), -EPERM);
	/* Only pr_debug'd. */
	assert_int_equal(kfix_log_count(seq, "sgx: EINIT returned 8"), 1);
	assert_int_equal(kfix_log_count(seq, "EINIT returned 8 (0x8)"), 0);

	/* Another enclave's measurement: SGX_INVALID_MEASUREMENT. */
	sig = c->e.sigstruct;
	{
		uint8_t other[32] = { 1 };
		char err[128];

		assert_int_equal(
			sgxemu_sign(&c->e.fields, other, kfix_second_key(), &sig, err, sizeof(err)),
			0);
	}
	assert_int_equal(init_with(c, &sig), -EPERM);
	assert_int_equal(kfix_log_count(seq, "sgx: EINIT returned 4"), 1);

	/* Signed for DEBUG only, the enclave is not: SGX_INVALID_ATTRIBUTE. */
	c->e.fields.attributes.flags |= SGX_ATTR_DEBUG;
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), -EPERM);
	assert_false(initialized(c));
	c->e.fields.attributes.flags &= ~SGX_ATTR_DEBUG;
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), 0);
}

static void init_unmasked_event_is_retried(void **state)
{
	struct ctx *c = *state;
	struct sgx_cpu_stats stats;
	uint64_t einit0;

	sgx_cpu_get_stats(c->p->cpu, &stats);
	einit0 = stats.encls[EINIT];
	/* 25 interrupted attempts: a round of 20, one 20 ms back-off, then 5 more and success. */
	sgx_cpu_inject_unmasked_event(c->p->cpu, 25);
	assert_int_equal(kfix_init(&c->e), 0);
	sgx_cpu_get_stats(c->p->cpu, &stats);
	assert_int_equal(stats.encls[EINIT] - einit0, 26);
	/* In the default launch-control mode the MSRs were written before every attempt. */
	assert_true(initialized(c));
}

static void init_unmasked_event_forever_is_eperm(void **state)
{
	struct ctx *c = *state;
	struct sgx_cpu_stats stats;
	uint64_t einit0;

	sgx_cpu_get_stats(c->p->cpu, &stats);
	einit0 = stats.encls[EINIT];
	/* 50 rounds of 20 attempts (and 50 back-offs, about a second), then EPERM. */
	sgx_cpu_inject_unmasked_event(c->p->cpu, 1000);
	assert_int_equal(kfix_init(&c->e), -EPERM);
	sgx_cpu_get_stats(c->p->cpu, &stats);
	assert_int_equal(stats.encls[EINIT] - einit0, 1000);
	assert_false(initialized(c));
	assert_int_equal(kfix_init(&c->e), 0);
}

static void init_fault_is_eio(void **state)
{
	struct ctx *c = *state;
	uint64_t seq = sgx_log_seq();

	/* A #GP (not expected on SGX2 parts): EIO and the one-time warning. */
	assert_int_equal(sgx_inject_encls(c->p, EINIT, SGX_INJECT_ANY_FRAME,
					  SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 2),
			 0);
	assert_int_equal(kfix_init(&c->e), -EIO);
	assert_int_equal(kfix_init(&c->e), -EIO);
	assert_int_equal(kfix_log_count(seq, "EINIT returned 1073741837 (0x4000000d)"), 1);
	assert_false(initialized(c));
	assert_int_equal(kfix_init(&c->e), 0);
}

static void init_after_epc_loss_is_eio(void **state)
{
	struct ctx *c = *state;
	uint64_t seq = sgx_log_seq();

	/* Suspend/resume between ADD_PAGES and INIT: the SECS is gone, EINIT takes a #PF. */
	sgx_cpu_power_cycle(c->p->cpu);
	assert_int_equal(kfix_init(&c->e), -EIO);
	/* #PF is the expected EPC-loss fault on SGX2: no warning. */
	assert_int_equal(kfix_log_count(seq, "EINIT returned"), 0);
	kfix_check(c->p);
	/* Teardown of a lost enclave leaks nothing: EREMOVE of an invalid page succeeds. */
	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
}

/* --- PROVISION --------------------------------------------------------------------------- */

static int provision(struct ctx *c, uint64_t fd)
{
	struct sgx_enclave_provision params = { .fd = fd };

	return kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_PROVISION, &params);
}

static void provisionkey_needs_provision(void **state)
{
	struct ctx *c = *state;

	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	/* PROVISIONKEY was not allowed: EACCES, before EINIT. */
	assert_int_equal(kfix_init(&c->e), -EACCES);
	assert_false(initialized(c));
}

static void provision_grants_provisionkey(void **state)
{
	struct ctx *c = *state;
	int prov = sgx_platform_open(c->p, "/dev/sgx_provision", O_RDONLY);
	int dup_fd;

	assert_true(prov >= 0);
	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	/* A dup of the provision fd is the same file. */
	dup_fd = dup(prov);
	assert_int_equal(provision(c, (uint64_t)dup_fd), 0);
	assert_int_equal(kfix_init(&c->e), 0);
	/* No state check: after INIT it still answers 0. */
	assert_int_equal(provision(c, (uint64_t)prov), 0);
	assert_int_equal(sgxemu_close(dup_fd), 0);
	assert_int_equal(sgxemu_close(prov), 0);
}

static void provision_fd_is_an_unsigned_int(void **state)
{
	struct ctx *c = *state;
	int prov = sgx_platform_open(c->p, "/dev/sgx_provision", O_RDONLY);

	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	/* sgx_set_attribute() takes an unsigned int: the upper half of the u64 is ignored. */
	assert_int_equal(provision(c, (1ULL << 32) | (uint64_t)prov), 0);
	assert_int_equal(kfix_init(&c->e), 0);
	assert_int_equal(sgxemu_close(prov), 0);
}

static void provision_before_create_has_no_effect(void **state)
{
	struct ctx *c = *state;
	int prov = sgx_platform_open(c->p, "/dev/sgx_provision", O_RDONLY);

	/* [quirk] Accepted, but CREATE resets attributes_mask. */
	assert_int_equal(provision(c, (uint64_t)prov), 0);
	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), -EACCES);
	/* Between CREATE and INIT it works. */
	assert_int_equal(provision(c, (uint64_t)prov), 0);
	assert_int_equal(kfix_init(&c->e), 0);
	assert_int_equal(sgxemu_close(prov), 0);
}

static void provision_rejects_other_fds(void **state)
{
	struct ctx *c = *state;
	struct kfix_enclave other;
	int prov, fd;

	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);

	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_PROVISION, NULL), -EFAULT);
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_PROVISION, kfix_edge(4)), -EFAULT);
	/* Not open. */
	assert_int_equal(provision(c, 0x7fffffff), -EINVAL);
	assert_int_equal(provision(c, 0xffffffff), -EINVAL);
	prov = sgx_platform_open(c->p, "/dev/sgx_provision", O_RDONLY);
	assert_int_equal(sgxemu_close(prov), 0);
	assert_int_equal(provision(c, (uint64_t)prov), -EINVAL);
	/* Open, but not /dev/sgx_provision: an ordinary file, another enclave, this enclave. */
	fd = open("/dev/null", O_RDONLY);
	assert_int_equal(provision(c, (uint64_t)fd), -EINVAL);
	close(fd);
	kfix_enclave_init(&other, c->p, SGX_ATTR_MODE64BIT);
	assert_int_equal(provision(c, (uint64_t)other.fd), -EINVAL);
	assert_int_equal(provision(c, (uint64_t)c->e.fd), -EINVAL);
	kfix_close(&other);
	/* Nothing was granted. */
	assert_int_equal(kfix_init(&c->e), -EACCES);
}

static void einittokenkey_is_never_allowed(void **state)
{
	struct ctx *c = *state;
	int prov = sgx_platform_open(c->p, "/dev/sgx_provision", O_RDONLY);

	/* EINITTOKENKEY (launch enclaves) is in no mask the driver ever grants. */
	c->e.secs.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_EINITTOKENKEY;
	c->e.fields.attributes = c->e.secs.attributes;
	kfix_build_standard(&c->e);
	kfix_sign(&c->e, NULL);
	assert_int_equal(provision(c, (uint64_t)prov), 0);
	assert_int_equal(kfix_init(&c->e), -EACCES);
	assert_int_equal(sgxemu_close(prov), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(init_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(init_state_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(init_bad_pointers_are_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(init_vendor_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(init_reserved_bits_are_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(init_sgx_status_is_eperm, setup, teardown),
		cmocka_unit_test_setup_teardown(init_unmasked_event_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(init_unmasked_event_forever_is_eperm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(init_fault_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(init_after_epc_loss_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(provisionkey_needs_provision, setup_provision,
						teardown),
		cmocka_unit_test_setup_teardown(provision_grants_provisionkey, setup_provision,
						teardown),
		cmocka_unit_test_setup_teardown(provision_fd_is_an_unsigned_int, setup_provision,
						teardown),
		cmocka_unit_test_setup_teardown(provision_before_create_has_no_effect,
						setup_provision, teardown),
		cmocka_unit_test_setup_teardown(provision_rejects_other_fds, setup_provision,
						teardown),
		cmocka_unit_test_setup_teardown(einittokenkey_is_never_allowed, setup_provision,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
