/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "enclu_env.h"
#include "cpu/sigstruct.h"

static void fill_page(uint8_t *page, uint8_t seed)
{
	for (unsigned int i = 0; i < SGX_PAGE_SIZE; i++)
		page[i] = (uint8_t)(seed + i * 7);
}

static void env_build(struct enclu_env *env, const struct enclu_env_opts *o)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	struct fixture_enclave *e = env->e;
	struct sgx_tcs *tcs = (struct sgx_tcs *)page;
	uint8_t mrsigner[32];
	uint64_t off;

	fixture_enclave_init(e, env->f, (o->mode32 ? 0 : SGX_ATTR_MODE64BIT) | o->attributes);
	e->secs_image.base = env->base;
	e->secs_image.size = ENV_SIZE;
	e->secs_image.ssa_frame_size = env->ssa_frame_size;
	e->secs_image.miscselect = o->miscselect;
	e->secs_image.attributes.xfrm = o->xfrm ? o->xfrm : 0x3;
	e->secs_image.config_svn = o->configsvn;
	memcpy(e->secs_image.config_id, o->config_id, sizeof(o->config_id));
	e->sign_fields.attributes = e->secs_image.attributes;
	e->sign_fields.miscselect = o->miscselect;
	e->sign_fields.misc_mask = ~0U;
	e->sign_fields.isvprodid = o->isvprodid;
	e->sign_fields.isvsvn = o->isvsvn;
	memcpy(e->sign_fields.isvfamilyid, o->isvfamilyid, sizeof(o->isvfamilyid));
	memcpy(e->sign_fields.isvextprodid, o->isvextprodid, sizeof(o->isvextprodid));

	assert_int_equal(fixture_ecreate(e), 0);

	memset(page, 0, sizeof(page));
	tcs->ossa = env->ssa - env->base;
	tcs->nssa = env->nssa;
	tcs->oentry = env->code - env->base;
	tcs->ofsbase = env->data - env->base;
	tcs->ogsbase = env->data - env->base;
	tcs->fslimit = 0xFFF;
	tcs->gslimit = 0xFFF;
	assert_int_equal(fixture_eadd(e, 0, SGX_SECINFO_TCS, page, true), 0);

	for (off = env->ssa - env->base; off < env->code - env->base; off += SGX_PAGE_SIZE)
		assert_int_equal(fixture_eadd(e, off,
					      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL,
					      true),
				 0);
	fill_page(page, (uint8_t)(0xC3 + o->code_seed));
	assert_int_equal(fixture_eadd(e, env->code - env->base,
				      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, page, true),
			 0);
	fill_page(page, 0xDA);
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(fixture_eadd(e, env->data - env->base + i * SGX_PAGE_SIZE,
					      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, page,
					      true),
				 0);
	fill_page(page, 0x52);
	assert_int_equal(fixture_eadd(e, env->rodata - env->base, SGX_SECINFO_REG | SGX_SECINFO_R,
				      page, true),
			 0);

	if (o->no_einit) {
		fixture_enclave_map(e);
		return;
	}
	fixture_enclave_sign(e);
	if (sgx_cpu_config(env->cpu)->flc) {
		sgx_sigstruct_mrsigner(&e->sigstruct, mrsigner);
		fixture_set_lepubkeyhash(env->f->lp, mrsigner);
	}
	assert_int_equal(fixture_einit(e, env->f->lp), 0);
	fixture_enclave_map(e);
}

struct enclu_env *enclu_env_create(const struct enclu_env_opts *opts)
{
	struct enclu_env_opts defaults = { 0 };
	struct enclu_env *env = calloc(1, sizeof(*env));

	if (!opts)
		opts = &defaults;
	assert_non_null(env);
	if (opts->f) {
		env->f = opts->f;
	} else {
		struct cpu_fixture_config fc = {
			.sgx1_only = opts->sgx1_only,
			.root_seed = opts->root_seed,
		};

		env->f = cpu_fixture_create(&fc);
		env->own_fixture = true;
	}
	env->cpu = env->f->cpu;
	env->e = aligned_alloc(4096, (sizeof(*env->e) + 4095) & ~4095UL);
	assert_non_null(env->e);

	env->nssa = opts->nssa ? opts->nssa : 2;
	env->ssa_frame_size = opts->ssa_frame_size ? opts->ssa_frame_size : 1;
	env->base = opts->base ? opts->base : ENV_BASE;
	env->tcs = env->base;
	env->ssa = env->base + SGX_PAGE_SIZE;
	env->code = env->ssa + (uint64_t)env->nssa * env->ssa_frame_size * SGX_PAGE_SIZE;
	env->data = env->code + SGX_PAGE_SIZE;
	env->rodata = env->data + 2 * SGX_PAGE_SIZE;
	env->free = env->rodata + SGX_PAGE_SIZE;
	assert_true(env->free < env->base + ENV_SIZE);
	env_build(env, opts);

	sgx_tlp_init(&env->tlp, env->cpu);
	env->xsave = aligned_alloc(64, ENV_XSAVE_BYTES);
	assert_non_null(env->xsave);
	env_fill_xstate(env, 1);
	env_fill_regs(&env->regs, 1);
	return env;
}

void enclu_env_destroy(struct enclu_env *env)
{
	fixture_enclave_destroy(env->e);
	if (env->own_fixture)
		cpu_fixture_destroy(env->f);
	free(env->e);
	free(env->xsave);
	free(env);
}

/* By the fixture's record rather than the page table, so tests may unmap pages. */
sgx_paddr_t env_frame(struct enclu_env *env, uint64_t la)
{
	sgx_paddr_t frame = fixture_page_frame(env->e, (la & ~0xFFFULL) - env->base);
	unsigned int prot;

	if (!frame)
		assert_true(sgx_pt_lookup(env->cpu, la, &frame, &prot));
	return frame;
}

struct sgx_epcm_entry *env_epcm(struct enclu_env *env, uint64_t la)
{
	int64_t i = sgx_frame_index(env->cpu, env_frame(env, la));

	assert_true(i >= 0);
	return sgx_epcm(env->cpu, (uint64_t)i);
}

uint8_t *env_kva(struct enclu_env *env, uint64_t la)
{
	int64_t i = sgx_frame_index(env->cpu, env_frame(env, la));

	assert_true(i >= 0);
	return env->cpu->frames[i].kva + (la & 0xFFF);
}

struct sgx_tcs *env_tcs(struct enclu_env *env)
{
	return (struct sgx_tcs *)env_kva(env, env->tcs);
}

static uint64_t frame_la(struct enclu_env *env, uint32_t frame)
{
	return env->ssa + (uint64_t)frame * env->ssa_frame_size * SGX_PAGE_SIZE;
}

struct sgx_gprsgx *env_gpr(struct enclu_env *env, uint32_t frame)
{
	uint64_t end = frame_la(env, frame + 1);

	return (struct sgx_gprsgx *)env_kva(env, end - SGX_SSA_GPRS_SIZE);
}

struct sgx_exinfo *env_exinfo(struct enclu_env *env, uint32_t frame)
{
	return (struct sgx_exinfo *)((uint8_t *)env_gpr(env, frame) - sizeof(struct sgx_exinfo));
}

uint8_t *env_ssa_xsave(struct enclu_env *env, uint32_t frame)
{
	return env_kva(env, frame_la(env, frame));
}

sgx_paddr_t env_eaug(struct enclu_env *env, uint64_t la)
{
	struct sgx_pageinfo pginfo __attribute__((aligned(32))) = {
		.addr = la,
		.secs = env->e->secs,
	};
	sgx_paddr_t frame = cpu_fixture_alloc(env->f);

	assert_int_equal(__eaug(env->f->lp, &pginfo, frame), 0);
	sgx_pt_set(env->cpu, la, frame, PROT_READ | PROT_WRITE);
	assert_true(env->e->nr_pages < FIXTURE_MAX_PAGES);
	env->e->pages[env->e->nr_pages++] = (struct fixture_page){
		.offset = la - env->base,
		.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
		.frame = frame,
	};
	return frame;
}

void env_fill_regs(struct sgx_regs *regs, uint64_t seed)
{
	uint64_t *r = (uint64_t *)regs;

	for (unsigned int i = 0; i < sizeof(*regs) / sizeof(uint64_t); i++)
		r[i] = 0x1111111100000000ULL * (i + 1) + seed;
	regs->rflags = 0x202; /* IF and the always-one bit */
}

void env_fill_xstate(struct enclu_env *env, uint8_t seed)
{
	uint8_t *x = env->xsave;
	uint16_t fcw = 0x027F;
	uint32_t mxcsr = 0x1F80 | 0x20; /* PE set: not the init value */
	uint64_t bv = 0x3;

	memset(x, 0, ENV_XSAVE_BYTES);
	memcpy(x, &fcw, sizeof(fcw));
	x[2] = seed; /* FSW */
	for (unsigned int i = 32; i < 416; i++)
		x[i] = (uint8_t)(seed * 3 + i);
	memcpy(x + 24, &mxcsr, sizeof(mxcsr));
	for (unsigned int i = 464; i < 512; i++)
		x[i] = 0xEE; /* software-available bytes (the kernel's fpx_sw_bytes): never touched */
	memcpy(x + 512, &bv, sizeof(bv));
	env->xs.area = x;
	env->xs.xcr0 = env->cpu->xfrm_mask;
	env->xs.size = sgx_xsave_size(env->cpu, env->xs.xcr0);
	assert_true(env->xs.size <= ENV_XSAVE_BYTES);
}

int env_enclu(struct enclu_env *env, unsigned int leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx,
	      struct sgx_fault *fault)
{
	env->regs.rax = leaf;
	env->regs.rbx = rbx;
	env->regs.rcx = rcx;
	env->regs.rdx = rdx;
	return sgx_enclu(&env->tlp, &env->regs, &env->xs, fault);
}

void env_eenter(struct enclu_env *env)
{
	struct sgx_fault fault;

	env->regs.rip = ENV_HOST_RIP;
	env->regs.rsp = ENV_HOST_RSP;
	env->regs.rbp = ENV_HOST_RBP;
	env->regs.fsbase = ENV_HOST_FS;
	env->regs.gsbase = ENV_HOST_GS;
	assert_int_equal(env_enclu(env, EENTER, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_true(env->tlp.enclave_mode);
}

void env_eexit(struct enclu_env *env)
{
	struct sgx_fault fault;

	assert_int_equal(env_enclu(env, EEXIT, ENV_EXIT_TARGET, 0, 0, &fault), 0);
	assert_false(env->tlp.enclave_mode);
}

void env_aex_interrupt(struct enclu_env *env)
{
	struct sgx_exception ex = { .reported = false };

	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_false(env->tlp.enclave_mode);
}

void assert_fault(int ret, const struct sgx_fault *fault, uint8_t vector, uint64_t addr,
		  uint32_t error_code)
{
	assert_int_equal(ret, -1);
	assert_int_equal(fault->vector, vector);
	assert_int_equal(fault->addr, addr);
	assert_int_equal(fault->error_code, error_code);
}
