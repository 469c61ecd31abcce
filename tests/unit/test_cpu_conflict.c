/* SPDX-License-Identifier: MIT */
/*
 * Concurrent ENCLS leaves on the same page (ref §10), made deterministic with the CPU's pause
 * hook: a second thread runs a leaf on LP 1 and is held at its pause point (page locks taken,
 * nothing committed) while this thread, on LP 0, throws other leaves at the same page and checks
 * the SDM's answer. No sleeps, no timing: semaphores hand control back and forth.
 *
 *   held leaf          racing leaf on the same page           answer
 *   EREMOVE (child)    EADD, EMODPR, EDBGRD, EREMOVE          #GP
 *                      EMODT, EBLOCK                          SGX_EPC_PAGE_CONFLICT
 *   EMODPR             EMODPR, EMODT, EBLOCK                  SGX_EPC_PAGE_CONFLICT
 *                      EREMOVE, EDBGRD                        #GP
 *   EADD               EADD (other page), EEXTEND, EINIT      #GP (measurement busy)
 *                      EREMOVE of the SECS                    #GP (SECS in use)
 *   ECREATE            ECREATE, EPA, EREMOVE of that frame    #GP
 *   EINIT              EREMOVE of the SECS, EADD              #GP
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "cpu_fixture.h"
#include "cpu/sigstruct.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))

static struct cpu_fixture *f;
static struct fixture_enclave e;

struct held_leaf {
	/* what to hold */
	unsigned int leaf;
	sgx_paddr_t frame;
	int armed;
	sem_t paused, resume;
	/* what to run on LP 1 */
	uint64_t rbx, rcx, rdx;
	int ret;
	pthread_t thread;
};

static struct held_leaf held;

static void pause_hook(void *arg, unsigned int leaf_class, unsigned int leaf, sgx_paddr_t frame)
{
	struct held_leaf *h = arg;

	if (leaf_class != SGX_LEAF_CLASS_ENCLS || leaf != h->leaf || frame != h->frame)
		return;
	if (!__atomic_exchange_n(&h->armed, 0, __ATOMIC_ACQ_REL))
		return;
	sem_post(&h->paused);
	sem_wait(&h->resume);
}

static void *run_held(void *arg)
{
	struct held_leaf *h = arg;
	struct sgx_lp *lp = sgx_cpu_get_lp_id(f->cpu, 1);

	h->ret = sgx_encls(lp, h->leaf, h->rbx, h->rcx, h->rdx, NULL);
	sgx_cpu_put_lp(lp);
	return NULL;
}

/* Starts `leaf` on LP 1 and returns once it is held at its pause point on `frame`. */
static void hold(unsigned int leaf, sgx_paddr_t frame, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	held.leaf = leaf;
	held.frame = frame;
	held.rbx = rbx;
	held.rcx = rcx;
	held.rdx = rdx;
	held.ret = -1;
	__atomic_store_n(&held.armed, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&held.thread, NULL, run_held, &held), 0);
	assert_int_equal(sem_wait(&held.paused), 0);
}

/* Lets the held leaf finish; returns its answer. */
static int release(void)
{
	sem_post(&held.resume);
	pthread_join(held.thread, NULL);
	return held.ret;
}

static int setup(void **state)
{
	f = cpu_fixture_create(NULL);
	memset(&e, 0, sizeof(e));
	sem_init(&held.paused, 0, 0);
	sem_init(&held.resume, 0, 0);
	sgx_cpu_set_pause_hook(f->cpu, pause_hook, &held);
	return 0;
}

static int teardown(void **state)
{
	sgx_cpu_set_pause_hook(f->cpu, NULL, NULL);
	fixture_enclave_destroy(&e);
	cpu_fixture_destroy(f);
	sem_destroy(&held.paused);
	sem_destroy(&held.resume);
	return 0;
}

static struct sgx_lp *lp(void)
{
	return f->lp;
}

static struct sgx_secinfo secinfo_r = { .flags = SGX_SECINFO_R };
static struct sgx_secinfo secinfo_trim = { .flags = SGX_SECINFO_TRIM };
static uint8_t source[4096] __attribute__((aligned(4096)));
static struct sgx_secinfo secinfo_reg = { .flags = SGX_SECINFO_REG | SGX_SECINFO_R };

static void test_eremove_held(void **state)
{
	struct sgx_pageinfo pginfo;
	sgx_paddr_t data;
	uint64_t v;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	hold(EREMOVE, data, 0, data, 0);

	pginfo = (struct sgx_pageinfo){ .addr = FIXTURE_BASE + 0x9000,
					.contents = PTR(source),
					.metadata = PTR(&secinfo_reg),
					.secs = e.secs };
	fixture_assert_gp(lp(), __eadd(lp(), &pginfo, data));
	fixture_assert_gp(lp(), __emodpr(lp(), &secinfo_r, data));
	fixture_assert_status(lp(), __emodt(lp(), &secinfo_trim, data), SGX_EPC_PAGE_CONFLICT,
			      false);
	fixture_assert_status(lp(), __eblock(lp(), data), SGX_EPC_PAGE_CONFLICT, false);
	fixture_assert_gp(lp(), __edbgrd(lp(), data, &v));
	fixture_assert_gp(lp(), __eremove(lp(), data));
	/* Meanwhile the page is still valid and untouched. */
	assert_true(fixture_epcm(f, data)->valid);
	assert_int_equal(fixture_epcm(f, data)->rwx, SGX_SECINFO_R | SGX_SECINFO_W);

	fixture_assert_ok(lp(), release());
	assert_false(fixture_epcm(f, data)->valid);
	fixture_enclave_forget(&e, FIXTURE_DATA_OFFSET);
	/* And with the page free again, the same leaves get ordinary answers. */
	fixture_assert_pf(lp(), __emodpr(lp(), &secinfo_r, data), data, true);
}

static void test_emodpr_held(void **state)
{
	sgx_paddr_t data;
	uint64_t v;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	hold(EMODPR, data, PTR(&secinfo_r), data, 0);

	/* The page is held by an SGX2 leaf: SGX2 leaves and EBLOCK get the conflict code... */
	fixture_assert_status(lp(), __emodpr(lp(), &secinfo_r, data), SGX_EPC_PAGE_CONFLICT, false);
	fixture_assert_status(lp(), __emodt(lp(), &secinfo_trim, data), SGX_EPC_PAGE_CONFLICT,
			      false);
	fixture_assert_status(lp(), __eblock(lp(), data), SGX_EPC_PAGE_CONFLICT, false);
	/* ...SGX1 leaves #GP. */
	fixture_assert_gp(lp(), __eremove(lp(), data));
	fixture_assert_gp(lp(), __edbgrd(lp(), data, &v));

	fixture_assert_ok(lp(), release());
	assert_int_equal(fixture_epcm(f, data)->state, SGX_EPCM_PR);
	assert_int_equal(fixture_epcm(f, data)->rwx, SGX_SECINFO_R);
}

static void test_eadd_held(void **state)
{
	static struct sgx_pageinfo held_pginfo, pginfo;
	sgx_paddr_t target = cpu_fixture_alloc(f), other = cpu_fixture_alloc(f), data;

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	fixture_enclave_sign(&e);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	held_pginfo = (struct sgx_pageinfo){ .addr = FIXTURE_BASE + 0x9000,
					     .contents = PTR(source),
					     .metadata = PTR(&secinfo_reg),
					     .secs = e.secs };
	hold(EADD, target, PTR(&held_pginfo), target, 0);

	/* The SECS's measurement is in use: EADD of another page, EEXTEND, EINIT all #GP. */
	pginfo = held_pginfo;
	pginfo.addr = FIXTURE_BASE + 0xA000;
	fixture_assert_gp(lp(), __eadd(lp(), &pginfo, other));
	fixture_assert_gp(lp(), __eextend(lp(), e.secs, data));
	fixture_assert_gp(lp(), fixture_einit(&e, lp()));
	/* The SECS page itself is in use: EREMOVE of it #GP (not CHILD_PRESENT). */
	fixture_assert_gp(lp(), __eremove(lp(), e.secs));
	/* The target frame is taken. */
	fixture_assert_gp(lp(), __eadd(lp(), &pginfo, target));

	fixture_assert_ok(lp(), release());
	assert_true(fixture_epcm(f, target)->valid);
	assert_false(fixture_epcm(f, other)->valid);
	e.pages[e.nr_pages++] = (struct fixture_page){ .offset = 0x9000,
						       .flags = secinfo_reg.flags,
						       .frame = target };
	cpu_fixture_free(f, other);
}

static void test_ecreate_held(void **state)
{
	static struct sgx_secs secs __attribute__((aligned(4096)));
	static struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_SECS };
	static struct sgx_pageinfo pginfo;
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	secs = e.secs_image;
	pginfo = (struct sgx_pageinfo){ .contents = PTR(&secs), .metadata = PTR(&secinfo) };
	hold(ECREATE, frame, PTR(&pginfo), frame, 0);

	fixture_assert_gp(lp(), __ecreate(lp(), &pginfo, frame));
	fixture_assert_gp(lp(), __epa(lp(), frame));
	fixture_assert_gp(lp(), __eremove(lp(), frame));
	assert_false(fixture_epcm(f, frame)->valid);

	fixture_assert_ok(lp(), release());
	assert_true(fixture_epcm(f, frame)->valid);
	e.secs = frame;
}

static void test_einit_held(void **state)
{
	static struct sgx_pageinfo pginfo;
	uint8_t signer[32];
	sgx_paddr_t other = cpu_fixture_alloc(f);
	struct sgx_lp *lp1 = sgx_cpu_get_lp_id(f->cpu, 1);

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	fixture_enclave_sign(&e);
	sgx_sigstruct_mrsigner(&e.sigstruct, signer);
	fixture_set_lepubkeyhash(lp1, signer);
	sgx_cpu_put_lp(lp1);
	hold(EINIT, e.secs, PTR(&e.sigstruct), e.secs, PTR(&e.token));

	pginfo = (struct sgx_pageinfo){ .addr = FIXTURE_BASE + 0x9000,
					.contents = PTR(source),
					.metadata = PTR(&secinfo_reg),
					.secs = e.secs };
	fixture_assert_gp(lp(), __eadd(lp(), &pginfo, other));
	fixture_assert_gp(lp(), __eremove(lp(), e.secs));
	assert_false(fixture_secs(&e)->attributes.flags & SGX_ATTR_INIT);

	fixture_assert_ok(lp(), release());
	assert_true(fixture_secs(&e)->attributes.flags & SGX_ATTR_INIT);
	/* Initialized now: EADD is refused for that reason. */
	fixture_assert_gp(lp(), __eadd(lp(), &pginfo, other));
	assert_false(fixture_epcm(f, other)->valid);
	cpu_fixture_free(f, other);
}

#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(eremove_held), T(emodpr_held), T(eadd_held), T(ecreate_held), T(einit_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
