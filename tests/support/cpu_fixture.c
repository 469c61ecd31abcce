/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu_fixture.h"
#include "cpu/sigstruct.h"

#define PATTERN_PAGE(name, seed) \
	const uint8_t name[4096] __attribute__((aligned(4096))) = { [0 ... 4095] = (seed) };

/* Distinct, non-zero contents, so a test can tell the pages (and a zeroed page) apart. */
PATTERN_PAGE(fixture_code_page, 0xC3)
PATTERN_PAGE(fixture_data_page, 0xDA)
PATTERN_PAGE(fixture_rodata_page, 0x52)

static const uint8_t zero_page[4096] __attribute__((aligned(4096)));

/* --- the processor ------------------------------------------------------------------------- */

struct cpu_fixture *cpu_fixture_create(const struct cpu_fixture_config *config)
{
	struct cpu_fixture_config defaults = { 0 };
	struct sgxemu_config cc;
	struct cpu_fixture *f;
	char err[128];

	if (!config)
		config = &defaults;
	sgxemu_config_defaults(&cc);
	assert_int_equal(
		sgxemu_config_set(&cc, "epc", config->epc ? config->epc : "1M", err, sizeof(err)),
		0);
	cc.sgx2 = !config->sgx1_only;
	cc.flc = !config->no_flc;
	cc.nr_lps = config->lps ? config->lps : 2;
	if (config->root_seed)
		assert_int_equal(sgxemu_config_set(&cc, "root-seed", config->root_seed, err,
						   sizeof(err)),
				 0);

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->cpu = sgx_cpu_create(&cc);
	assert_non_null(f->cpu);
	f->lp = sgx_cpu_get_lp_id(f->cpu, 0);
	pthread_mutex_init(&f->lock, NULL);
	f->nr_frames = f->cpu->nr_frames;
	f->free_frames = calloc(f->nr_frames, sizeof(*f->free_frames));
	assert_non_null(f->free_frames);

	/* Sanitise as the kernel does at boot: EREMOVE every frame. Highest frame handed out last. */
	for (uint64_t i = f->nr_frames; i-- > 0;) {
		sgx_paddr_t frame = sgx_frame_paddr(f->cpu, i);

		assert_int_equal(__eremove(f->lp, frame), 0);
		f->free_frames[f->nr_free++] = frame;
	}
	return f;
}

void cpu_fixture_destroy(struct cpu_fixture *f)
{
	sgx_cpu_put_lp(f->lp);
	sgx_cpu_destroy(f->cpu);
	pthread_mutex_destroy(&f->lock);
	free(f->free_frames);
	free(f);
}

sgx_paddr_t cpu_fixture_alloc(struct cpu_fixture *f)
{
	sgx_paddr_t frame;

	pthread_mutex_lock(&f->lock);
	assert_true(f->nr_free > 0);
	frame = f->free_frames[--f->nr_free];
	pthread_mutex_unlock(&f->lock);
	return frame;
}

void cpu_fixture_free(struct cpu_fixture *f, sgx_paddr_t frame)
{
	pthread_mutex_lock(&f->lock);
	assert_true(f->nr_free < f->nr_frames);
	f->free_frames[f->nr_free++] = frame;
	pthread_mutex_unlock(&f->lock);
}

uint64_t cpu_fixture_nr_free(struct cpu_fixture *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->lock);
	n = f->nr_free;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fixture_set_lepubkeyhash(struct sgx_lp *lp, const uint8_t hash[32])
{
	struct sgx_fault fault;
	uint64_t v;

	for (unsigned int i = 0; i < 4; i++) {
		memcpy(&v, hash + 8 * i, sizeof(v));
		assert_int_equal(sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, v, &fault), 0);
	}
}

/* --- signing --------------------------------------------------------------------------------- */

static EVP_PKEY *signing_key;
static pthread_once_t signing_key_once = PTHREAD_ONCE_INIT;

static void make_signing_key(void)
{
	signing_key = sgxemu_generate_signing_key();
}

EVP_PKEY *fixture_signing_key(void)
{
	pthread_once(&signing_key_once, make_signing_key);
	assert_non_null(signing_key);
	return signing_key;
}

void fixture_signer_hash(uint8_t mrsigner[32])
{
	static struct sgx_sigstruct sig;
	struct sgxemu_sign_fields fields;
	static const uint8_t zero[32];
	char err[128];

	sgxemu_sign_fields_default(&fields, false);
	assert_int_equal(sgxemu_sign(&fields, zero, fixture_signing_key(), &sig, err, sizeof(err)),
			 0);
	sgx_sigstruct_mrsigner(&sig, mrsigner);
}

/* --- the standard enclave -------------------------------------------------------------------- */

void fixture_enclave_init(struct fixture_enclave *e, struct cpu_fixture *f, uint64_t attributes)
{
	memset(e, 0, sizeof(*e));
	e->f = f;
	e->secs_image.size = FIXTURE_SIZE;
	e->secs_image.base = FIXTURE_BASE;
	e->secs_image.ssa_frame_size = 1;
	e->secs_image.attributes.flags = attributes;
	e->secs_image.attributes.xfrm = 0x3;
	sgxemu_sign_fields_default(&e->sign_fields, false);
	e->sign_fields.attributes = e->secs_image.attributes;
	e->sign_fields.attributes_mask.flags = ~0ULL;
	e->sign_fields.attributes_mask.xfrm = ~0ULL;
}

int fixture_ecreate(struct fixture_enclave *e)
{
	static struct sgx_secs page __attribute__((aligned(4096)));
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pginfo = {
		.contents = (uint64_t)(uintptr_t)&page,
		.metadata = (uint64_t)(uintptr_t)&secinfo,
	};
	sgx_paddr_t frame = cpu_fixture_alloc(e->f);
	int ret;

	page = e->secs_image;
	ret = __ecreate(e->f->lp, &pginfo, frame);
	if (ret) {
		cpu_fixture_free(e->f, frame);
		return ret;
	}
	e->secs = frame;
	sgx_measure_init(&e->measurement);
	sgx_measure_ecreate(&e->measurement, e->secs_image.ssa_frame_size, e->secs_image.size);
	return 0;
}

int fixture_eadd(struct fixture_enclave *e, uint64_t offset, uint64_t flags, const void *contents,
		 bool measure)
{
	static uint8_t source[4096] __attribute__((aligned(4096)));
	struct sgx_secinfo secinfo = { .flags = flags };
	struct sgx_pageinfo pginfo = {
		.addr = e->secs_image.base + offset,
		.contents = (uint64_t)(uintptr_t)source,
		.metadata = (uint64_t)(uintptr_t)&secinfo,
		.secs = e->secs,
	};
	sgx_paddr_t frame;
	int ret;

	assert_true(e->nr_pages < FIXTURE_MAX_PAGES);
	memcpy(source, contents ? contents : zero_page, sizeof(source));
	frame = cpu_fixture_alloc(e->f);
	ret = __eadd(e->f->lp, &pginfo, frame);
	if (ret) {
		cpu_fixture_free(e->f, frame);
		return ret;
	}
	e->pages[e->nr_pages++] =
		(struct fixture_page){ .offset = offset, .flags = flags, .frame = frame };
	/*
	 * The side measurement follows the SDM, not the CPU: a TCS is hashed with RWX cleared and
	 * its contents as EADD leaves them (DBGOPTIN, CSSA, AEP and STATE cleared).
	 */
	if (sgx_secinfo_page_type(flags) == SGX_PAGE_TYPE_TCS) {
		struct sgx_tcs *tcs = (struct sgx_tcs *)source;

		flags &= ~SGX_SECINFO_PERMISSION_MASK;
		tcs->flags &= ~SGX_TCS_DBGOPTIN;
		tcs->cssa = 0;
		tcs->aep = 0;
		tcs->state = 0;
	}
	sgx_measure_eadd(&e->measurement, offset, flags);
	if (!measure)
		return 0;
	for (uint64_t chunk = 0; chunk < SGX_PAGE_SIZE; chunk += SGX_EEXTEND_BLOCK_SIZE) {
		ret = __eextend(e->f->lp, e->secs, frame + chunk);
		if (ret)
			return ret;
		sgx_measure_eextend(&e->measurement, offset + chunk, source + chunk);
	}
	return 0;
}

void fixture_tcs_image(struct sgx_tcs *tcs)
{
	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = FIXTURE_SSA_OFFSET;
	tcs->nssa = FIXTURE_NSSA;
	tcs->oentry = FIXTURE_CODE_OFFSET;
	tcs->ofsbase = FIXTURE_DATA_OFFSET;
	tcs->ogsbase = FIXTURE_DATA_OFFSET;
	tcs->fslimit = 0xFFF;
	tcs->gslimit = 0xFFF;
}

void fixture_enclave_build(struct fixture_enclave *e)
{
	static struct sgx_tcs tcs __attribute__((aligned(4096)));

	fixture_tcs_image(&tcs);
	assert_int_equal(fixture_ecreate(e), 0);
	assert_int_equal(fixture_eadd(e, FIXTURE_TCS_OFFSET, SGX_SECINFO_TCS, &tcs, true), 0);
	for (unsigned int i = 0; i < FIXTURE_NSSA; i++)
		assert_int_equal(fixture_eadd(e, FIXTURE_SSA_OFFSET + i * SGX_PAGE_SIZE,
					      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL,
					      true),
				 0);
	assert_int_equal(fixture_eadd(e, FIXTURE_CODE_OFFSET,
				      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X,
				      fixture_code_page, true),
			 0);
	assert_int_equal(fixture_eadd(e, FIXTURE_DATA_OFFSET,
				      SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
				      fixture_data_page, true),
			 0);
	assert_int_equal(fixture_eadd(e, FIXTURE_RODATA_OFFSET, SGX_SECINFO_REG | SGX_SECINFO_R,
				      fixture_rodata_page, true),
			 0);
}

void fixture_enclave_sign(struct fixture_enclave *e)
{
	uint8_t mrenclave[32];
	char err[128];

	sgx_measure_final(&e->measurement, mrenclave);
	assert_int_equal(sgxemu_sign(&e->sign_fields, mrenclave, fixture_signing_key(),
				     &e->sigstruct, err, sizeof(err)),
			 0);
}

int fixture_einit(struct fixture_enclave *e, struct sgx_lp *lp)
{
	return __einit(lp, &e->sigstruct, &e->token, e->secs);
}

void fixture_enclave_create(struct fixture_enclave *e, struct cpu_fixture *f, uint64_t attributes)
{
	uint8_t mrsigner[32];

	fixture_enclave_init(e, f, attributes);
	fixture_enclave_build(e);
	fixture_enclave_sign(e);
	if (sgx_cpu_config(f->cpu)->flc) {
		sgx_sigstruct_mrsigner(&e->sigstruct, mrsigner);
		fixture_set_lepubkeyhash(f->lp, mrsigner);
	}
	assert_int_equal(fixture_einit(e, f->lp), 0);
}

void fixture_enclave_map(struct fixture_enclave *e)
{
	for (unsigned int i = 0; i < e->nr_pages; i++) {
		const struct fixture_page *p = &e->pages[i];
		unsigned int prot = 0;

		if (sgx_secinfo_page_type(p->flags) == SGX_PAGE_TYPE_TCS) {
			prot = PROT_READ | PROT_WRITE;
		} else {
			prot |= (p->flags & SGX_SECINFO_R) ? PROT_READ : 0;
			prot |= (p->flags & SGX_SECINFO_W) ? PROT_WRITE : 0;
			prot |= (p->flags & SGX_SECINFO_X) ? PROT_EXEC : 0;
		}
		sgx_pt_set(e->f->cpu, e->secs_image.base + p->offset, p->frame, prot);
	}
}

sgx_paddr_t fixture_page_frame(const struct fixture_enclave *e, uint64_t offset)
{
	for (unsigned int i = 0; i < e->nr_pages; i++)
		if (e->pages[i].offset == offset)
			return e->pages[i].frame;
	return 0;
}

void fixture_enclave_destroy(struct fixture_enclave *e)
{
	if (!e->secs && !e->nr_pages)
		return;
	sgx_pgtable_clear_range(e->f->cpu, e->secs_image.base,
				e->secs_image.base + e->secs_image.size);
	for (unsigned int i = 0; i < e->nr_pages; i++) {
		assert_int_equal(__eremove(e->f->lp, e->pages[i].frame), 0);
		cpu_fixture_free(e->f, e->pages[i].frame);
	}
	e->nr_pages = 0;
	if (e->secs) {
		assert_int_equal(__eremove(e->f->lp, e->secs), 0);
		cpu_fixture_free(e->f, e->secs);
		e->secs = 0;
	}
}

void fixture_enclave_forget(struct fixture_enclave *e, uint64_t offset)
{
	for (unsigned int i = 0; i < e->nr_pages; i++) {
		if (e->pages[i].offset != offset)
			continue;
		cpu_fixture_free(e->f, e->pages[i].frame);
		e->pages[i] = e->pages[--e->nr_pages];
		return;
	}
	fail_msg("no page at offset %#llx", (unsigned long long)offset);
}

/* --- answers ---------------------------------------------------------------------------------- */

void fixture_assert_gp(struct sgx_lp *lp, int ret)
{
	if (ret != (SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP))
		fail_msg("expected #GP, got %#x (fault vector %u)", ret,
			 sgx_lp_last_fault(lp)->vector);
	assert_int_equal(sgx_lp_last_fault(lp)->vector, X86_TRAP_GP);
}

void fixture_assert_pf(struct sgx_lp *lp, int ret, uint64_t addr, bool sgx)
{
	const struct sgx_fault *fault = sgx_lp_last_fault(lp);

	if (ret != (SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF))
		fail_msg("expected #PF(%#llx), got %#x", (unsigned long long)addr, ret);
	assert_int_equal(fault->vector, X86_TRAP_PF);
	if (fault->addr != addr)
		fail_msg("expected #PF(%#llx), got #PF(%#llx)", (unsigned long long)addr,
			 (unsigned long long)fault->addr);
	if (sgx) {
		assert_true(fault->error_code & X86_PF_SGX);
		assert_true(fault->error_code & X86_PF_PROT);
	} else {
		assert_false(fault->error_code & X86_PF_SGX);
	}
}

void fixture_assert_status(struct sgx_lp *lp, int ret, int code, bool carry)
{
	if (ret != code)
		fail_msg("expected status %d, got %#x", code, ret);
	assert_int_equal(sgx_lp_last_rflags(lp) & (X86_EFLAGS_ZF | X86_EFLAGS_CF),
			 carry ? X86_EFLAGS_CF : X86_EFLAGS_ZF);
}

void fixture_assert_ok(struct sgx_lp *lp, int ret)
{
	if (ret)
		fail_msg("expected success, got %#x (fault vector %u, addr %#llx)", ret,
			 sgx_lp_last_fault(lp)->vector,
			 (unsigned long long)sgx_lp_last_fault(lp)->addr);
	assert_int_equal(sgx_lp_last_rflags(lp) & (X86_EFLAGS_ZF | X86_EFLAGS_CF), 0);
}

static void *bad_page;
static pthread_once_t bad_page_once = PTHREAD_ONCE_INIT;

static void make_bad_page(void)
{
	bad_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

uint64_t fixture_bad_pointer(void)
{
	pthread_once(&bad_page_once, make_bad_page);
	assert_true(bad_page != MAP_FAILED);
	return (uint64_t)(uintptr_t)bad_page;
}

uint64_t fixture_secs_index(const struct fixture_enclave *e)
{
	int64_t index = sgx_frame_index(e->f->cpu, e->secs);

	assert_true(index >= 0);
	return (uint64_t)index;
}

struct sgx_secs *fixture_secs(const struct fixture_enclave *e)
{
	return sgx_secs_page(e->f->cpu, fixture_secs_index(e));
}

struct sgx_secs_hidden *fixture_hidden(const struct fixture_enclave *e)
{
	return sgx_secs_hidden(e->f->cpu, fixture_secs_index(e));
}

struct sgx_epcm_entry *fixture_epcm(struct cpu_fixture *f, sgx_paddr_t frame)
{
	int64_t index = sgx_frame_index(f->cpu, frame);

	assert_true(index >= 0);
	return sgx_epcm(f->cpu, (uint64_t)index);
}
