/* SPDX-License-Identifier: MIT */
/*
 * ENCLU against other leaves on other threads (ref §10), also run under ThreadSanitizer
 * (make test-tsan). The races that have a defined answer are made deterministic with the CPU's
 * pause hook (tests/support/leaf_hold.h): one thread is held inside its leaf, holding its page
 * locks, while the other runs. A free-running race at the end checks only invariants.
 *
 *   race                                            answer
 *   EENTER while an EREMOVE of a child is in flight #GP for EENTER, then SGX_ENCLAVE_ACT
 *   EREMOVE(TCS) while an EENTER holds the TCS      #GP for EREMOVE
 *   EACCEPT while the kernel's EMODPR holds a page  #GP for EACCEPT
 *   EMODPR while an EACCEPT holds the page          SGX_EPC_PAGE_CONFLICT for EMODPR
 *   EMODPE while EMODT holds the page               #GP for EMODPE
 *   EENTER on one TCS from several threads          exactly one LP inside at any time
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "enclu_env.h"
#include "leaf_hold.h"

#define SECINFO_OFF 0x40
#define REG_RW_PENDING (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING)

static int setup(void **state)
{
	*state = enclu_env_create(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct enclu_env *env = *state;

	sgx_cpu_set_pause_hook(env->cpu, NULL, NULL);
	if (env->tlp.enclave_mode)
		env_eexit(env);
	enclu_env_destroy(env);
	return 0;
}

static uint32_t lps_inside(struct enclu_env *env)
{
	int64_t i = sgx_frame_index(env->cpu, env->e->secs);

	return __atomic_load_n(&sgx_secs_hidden(env->cpu, (uint64_t)i)->lps_inside,
			       __ATOMIC_RELAXED);
}

/* The kernel's side runs on LP 1; the fixture holds LP 0 for the test thread. */
struct kernel_op {
	struct enclu_env *env;
	unsigned int leaf;
	sgx_paddr_t frame;
	uint64_t flags; /* SECINFO for EMODPR/EMODT */
};

static int run_kernel_op(void *arg)
{
	struct kernel_op *op = arg;
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = op->flags };
	struct sgx_lp *lp = sgx_cpu_get_lp_id(op->env->cpu, 1);
	int ret;

	switch (op->leaf) {
	case EREMOVE:
		ret = __eremove(lp, op->frame);
		break;
	case EMODPR:
		ret = __emodpr(lp, &secinfo, op->frame);
		break;
	default:
		ret = __emodt(lp, &secinfo, op->frame);
		break;
	}
	sgx_cpu_put_lp(lp);
	return ret;
}

static uint64_t put_secinfo(struct enclu_env *env, uint64_t flags)
{
	uint64_t la = env->data + SECINFO_OFF;
	struct sgx_secinfo *si = (struct sgx_secinfo *)env_kva(env, la);

	memset(si, 0, sizeof(*si));
	si->flags = flags;
	return la;
}

static void forget_page(struct enclu_env *env, sgx_paddr_t frame)
{
	struct fixture_enclave *e = env->e;

	for (unsigned int i = 0; i < e->nr_pages; i++)
		if (e->pages[i].frame == frame) {
			cpu_fixture_free(env->f, frame);
			e->pages[i] = e->pages[--e->nr_pages];
			return;
		}
}

/* --- EENTER and EREMOVE ---------------------------------------------------------------------- */

static void test_eenter_while_removing(void **state)
{
	struct enclu_env *env = *state;
	struct kernel_op op = { env, EREMOVE, env_frame(env, env->rodata), 0 };
	struct leaf_hold *hold;
	struct sgx_fault fault;
	struct sgx_regs regs;

	sgx_pt_clear(env->cpu, env->rodata);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, run_kernel_op, &op);
	assert_non_null(hold);
	/* The EREMOVE is past its "no LP inside" check: an entry now would undo it */
	env->regs.rip = ENV_HOST_RIP;
	regs = env->regs;
	regs.rax = EENTER;
	regs.rbx = env->tcs;
	regs.rcx = ENV_AEP;
	env->regs = regs;
	assert_gp(sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault), &fault);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_false(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 0);
	assert_int_equal(env_tcs(env)->state, 0);
	assert_int_equal(leaf_hold_release(hold), 0);
	forget_page(env, op.frame);

	env_eenter(env);
	/* With an LP inside, EREMOVE of a child is refused */
	assert_int_equal(__eremove(env->f->lp, env_frame(env, env->data)), SGX_ENCLAVE_ACT);
}

static int run_eenter(void *arg)
{
	struct enclu_env *env = arg;
	struct sgx_fault fault;

	env->regs.rip = ENV_HOST_RIP;
	return env_enclu(env, EENTER, env->tcs, ENV_AEP, 0, &fault);
}

static void test_eremove_tcs_while_entering(void **state)
{
	struct enclu_env *env = *state;
	struct leaf_hold *hold;
	int ret;

	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLU, EENTER, run_eenter, env);
	assert_non_null(hold);
	ret = __eremove(env->f->lp, env_frame(env, env->tcs));
	assert_true(encls_faulted(ret));
	assert_int_equal(SGX_ENCLS_FAULT_VECTOR(ret), X86_TRAP_GP);
	assert_int_equal(leaf_hold_release(hold), 0);
	assert_true(env->tlp.enclave_mode);
	assert_int_equal(__eremove(env->f->lp, env_frame(env, env->tcs)), SGX_ENCLAVE_ACT);
}

/* --- EACCEPT and EMODPR on the same page ----------------------------------------------------- */

struct eaccept_op {
	struct enclu_env *env;
	uint64_t si, page;
};

static int run_eaccept(void *arg)
{
	struct eaccept_op *op = arg;
	struct sgx_fault fault;
	int ret = env_enclu(op->env, EACCEPT, op->si, op->page, 0, &fault);

	return ret ? ret : (int)op->env->regs.rax;
}

static void test_eaccept_while_emodpr(void **state)
{
	struct enclu_env *env = *state;
	uint64_t page = env->data + SGX_PAGE_SIZE;
	struct kernel_op op = { env, EMODPR, env_frame(env, page), SGX_SECINFO_R };
	struct leaf_hold *hold;
	struct sgx_fault fault;
	uint64_t si = put_secinfo(env, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR);

	env_eenter(env);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, EMODPR, run_kernel_op, &op);
	assert_non_null(hold);
	assert_gp(env_enclu(env, EACCEPT, si, page, 0, &fault), &fault);
	assert_int_equal(leaf_hold_release(hold), 0);
	assert_int_equal(env_epcm(env, page)->state, SGX_EPCM_PR);
}

static void test_emodpr_while_eaccept(void **state)
{
	struct enclu_env *env = *state;
	struct eaccept_op acc = { env, put_secinfo(env, REG_RW_PENDING), env->free };
	struct leaf_hold *hold;
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = SGX_SECINFO_R };
	sgx_paddr_t frame = env_eaug(env, env->free);

	env_eenter(env);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLU, EACCEPT, run_eaccept, &acc);
	assert_non_null(hold);
	/* EACCEPT is an SGX2 leaf: EMODPR answers with a status, not #GP */
	assert_int_equal(__emodpr(env->f->lp, &secinfo, frame), SGX_EPC_PAGE_CONFLICT);
	assert_int_equal(
		__emodt(env->f->lp, &(struct sgx_secinfo){ .flags = SGX_SECINFO_TRIM }, frame),
		SGX_EPC_PAGE_CONFLICT);
	assert_int_equal(leaf_hold_release(hold), 0);
	assert_int_equal(env_epcm(env, env->free)->state, 0);
	assert_int_equal(__emodpr(env->f->lp, &secinfo, frame), 0);
}

static void test_emodpe_while_emodt(void **state)
{
	struct enclu_env *env = *state;
	struct kernel_op op = { env, EMODT, env_frame(env, env->rodata), SGX_SECINFO_TRIM };
	struct leaf_hold *hold;
	struct sgx_fault fault;
	uint64_t si = put_secinfo(env, SGX_SECINFO_R | SGX_SECINFO_W);

	env_eenter(env);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, EMODT, run_kernel_op, &op);
	assert_non_null(hold);
	assert_gp(env_enclu(env, EMODPE, si, env->rodata, 0, &fault), &fault);
	assert_int_equal(leaf_hold_release(hold), 0);
	/* Afterwards the page is a modified TRIM page, which EMODPE cannot touch */
	assert_fault(env_enclu(env, EMODPE, si, env->rodata, 0, &fault), &fault, X86_TRAP_PF,
		     env->rodata, X86_PF_USER | X86_PF_PROT | X86_PF_SGX);
}

/* --- free-running: many threads, one TCS ----------------------------------------------------- */

#define RACERS 3
#define ROUNDS 300

struct racer {
	struct enclu_env *env;
	struct sgx_tlp tlp;
	pthread_barrier_t *start;
	unsigned int entered, busy;
	bool overlap;
};

static void *race_eenter(void *arg)
{
	struct racer *r = arg;
	struct sgx_regs regs;
	struct sgx_fault fault;

	pthread_barrier_wait(r->start);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		memset(&regs, 0, sizeof(regs));
		regs.rax = EENTER;
		regs.rbx = r->env->tcs;
		regs.rcx = ENV_AEP;
		if (sgx_enclu(&r->tlp, &regs, &r->env->xs, &fault)) {
			if (fault.vector != X86_TRAP_GP)
				r->overlap = true;
			r->busy++;
			continue;
		}
		r->entered++;
		/* Inside, this LP must be the only one */
		if (lps_inside(r->env) != 1)
			r->overlap = true;
		regs.rax = EEXIT;
		regs.rbx = ENV_EXIT_TARGET;
		if (sgx_enclu(&r->tlp, &regs, &r->env->xs, &fault))
			r->overlap = true;
	}
	return NULL;
}

static void test_eenter_race_one_tcs(void **state)
{
	struct enclu_env *env = *state;
	struct racer racers[RACERS];
	pthread_t threads[RACERS];
	pthread_barrier_t start;
	unsigned int entered = 0;

	pthread_barrier_init(&start, NULL, RACERS);
	for (unsigned int i = 0; i < RACERS; i++) {
		racers[i] = (struct racer){ .env = env, .start = &start };
		sgx_tlp_init(&racers[i].tlp, env->cpu);
		assert_int_equal(pthread_create(&threads[i], NULL, race_eenter, &racers[i]), 0);
	}
	for (unsigned int i = 0; i < RACERS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_false(racers[i].overlap);
		assert_int_equal(racers[i].entered + racers[i].busy, ROUNDS);
		entered += racers[i].entered;
	}
	pthread_barrier_destroy(&start);
	assert_true(entered >= 1);
	assert_int_equal(env_tcs(env)->state, 0);
	assert_int_equal(env_tcs(env)->cssa, 0);
	assert_int_equal(lps_inside(env), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_eenter_while_removing), T(test_eremove_tcs_while_entering),
		T(test_eaccept_while_emodpr),  T(test_emodpr_while_eaccept),
		T(test_emodpe_while_emodt),    T(test_eenter_race_one_tcs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
