/* SPDX-License-Identifier: MIT */
#include "sgx2_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "kernel/encl.h"
#include "kernel/sgx.h"

struct sgxemu_enclave *s2_load(void)
{
	struct sgxemu_enclave *e = rfix_load(&(struct rfix_options){
		.threads = 4,
		.nssa = 3,
		.heap_size = 2 << 20,
		.reserve = 8 << 20,
		.xfrm = 3,
		.load_flags = SGXEMU_LOAD_MAP_FREE,
	});
	struct te_args args;

	assert_true(e->free_mapped);
	memset(&args, 0, sizeof(args));
	args.u.policy.action = TE_ACTION_SKIP;
	assert_int_equal(rfix_call(e, 0, TE_OP_SET_POLICY, &args), TE_OK);
	return e;
}

struct te_info s2_info(struct sgxemu_enclave *e, unsigned int tcs)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(e, tcs, TE_OP_INFO, &args), TE_OK);
	return args.u.info;
}

int s2_ioctl(struct sgxemu_enclave *e, unsigned long cmd, void *arg)
{
	return sgxemu_ioctl(e->fd, cmd, arg) ? errno : 0;
}

int s2_restrict(struct sgxemu_enclave *e, uint64_t offset, uint64_t length, uint64_t perms,
		struct sgx_enclave_restrict_permissions *out)
{
	struct sgx_enclave_restrict_permissions p = {
		.offset = offset,
		.length = length,
		.permissions = perms,
	};
	int ret = s2_ioctl(e, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p);

	if (out)
		*out = p;
	return ret;
}

int s2_modt(struct sgxemu_enclave *e, uint64_t offset, uint64_t length, uint64_t type,
	    struct sgx_enclave_modify_types *out)
{
	struct sgx_enclave_modify_types p = { .offset = offset,
					      .length = length,
					      .page_type = type };
	int ret = s2_ioctl(e, SGX_IOC_ENCLAVE_MODIFY_TYPES, &p);

	if (out)
		*out = p;
	return ret;
}

int s2_remove(struct sgxemu_enclave *e, uint64_t offset, uint64_t length,
	      struct sgx_enclave_remove_pages *out)
{
	struct sgx_enclave_remove_pages p = { .offset = offset, .length = length };
	int ret = s2_ioctl(e, SGX_IOC_ENCLAVE_REMOVE_PAGES, &p);

	if (out)
		*out = p;
	return ret;
}

static uint64_t sgx2_op(struct sgxemu_enclave *e, unsigned int tcs, unsigned int op, uint64_t addr,
			uint64_t flags, uint64_t src)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = addr;
	args.u.sgx2.secinfo_flags = flags;
	args.u.sgx2.src = src;
	assert_int_equal(rfix_call(e, tcs, op, &args), TE_OK);
	return args.u.sgx2.rax_out;
}

uint64_t s2_eaccept(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags)
{
	return sgx2_op(e, tcs, TE_OP_EACCEPT, addr, flags, 0);
}

uint64_t s2_eacceptcopy(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags,
			uint64_t src)
{
	return sgx2_op(e, tcs, TE_OP_EACCEPTCOPY, addr, flags, src);
}

void s2_emodpe(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags)
{
	sgx2_op(e, tcs, TE_OP_EMODPE, addr, flags, 0);
}

uint64_t s2_read(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.mem.addr = addr;
	assert_int_equal(rfix_call(e, tcs, TE_OP_READ, &args), TE_OK);
	return args.u.mem.value;
}

void s2_write(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t value)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.mem.addr = addr;
	args.u.mem.value = value;
	assert_int_equal(rfix_call(e, tcs, TE_OP_WRITE, &args), TE_OK);
}

struct te_touch s2_touch(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr, uint64_t npages,
			 uint64_t seed, uint32_t mode)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = addr;
	args.u.touch.npages = npages;
	args.u.touch.seed = seed;
	args.u.touch.mode = mode;
	assert_int_equal(rfix_call(e, tcs, TE_OP_TOUCH, &args), TE_OK);
	return args.u.touch;
}

struct access_ctx {
	struct s2_exception seen;
	int64_t phase2_status;
};

static int access_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			  struct sgx_enclave_run *run)
{
	struct access_ctx *ctx = (struct access_ctx *)run->user_data;
	struct sgx_enclave_run phase2 = { .tcs = run->tcs };
	struct te_args args;

	if (run->function == EEXIT)
		return 0;
	if (!ctx->seen.count++) {
		ctx->seen.function = run->function;
		ctx->seen.vector = run->exception_vector;
		ctx->seen.error_code = run->exception_error_code;
		ctx->seen.addr = run->exception_addr;
	}
	/* The second phase skips the faulting access; then ERESUME continues after it. */
	memset(&args, 0, sizeof(args));
	if (ctx->seen.count > 4 ||
	    rfix_enter_enclave(0, (unsigned long)&args, 0, EENTER, 0, 0, &phase2) ||
	    phase2.function != EEXIT)
		return -1;
	ctx->phase2_status = args.status;
	return ERESUME;
}

struct s2_exception s2_access(struct sgxemu_enclave *e, unsigned int tcs, unsigned int kind,
			      uint64_t addr)
{
	struct access_ctx ctx = { 0 };
	struct sgx_enclave_run run;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.fault.kind = kind;
	args.u.fault.addr = addr;
	args.u.fault.seed = 0x5000;
	memset(&run, 0, sizeof(run));
	run.tcs = e->tcs[tcs];
	run.user_handler = (uint64_t)access_handler;
	run.user_data = (uint64_t)&ctx;
	assert_int_equal(rfix_enter(e, TE_OP_FAULT, &args, &run), 0);
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
	if (ctx.seen.count)
		assert_int_equal(ctx.phase2_status, TE_EXC_HANDLED);
	else
		ctx.seen.function = EEXIT;
	return ctx.seen;
}

struct sgx_epcm_info s2_epcm(struct sgxemu_enclave *e, uint64_t addr)
{
	struct sgx_epcm_info info = { 0 };
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);
	sgx_paddr_t frame;

	assert_false(IS_ERR(encl));
	frame = sgx_encl_page_frame(encl, addr);
	if (frame)
		assert_true(sgx_cpu_epcm_read(encl->platform->cpu, frame, &info));
	sgx_encl_put(encl);
	return info;
}

bool s2_kernel_page(struct sgxemu_enclave *e, uint64_t addr, unsigned int *type, uint8_t *max_prot)
{
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);
	struct sgx_encl_page *page;

	assert_false(IS_ERR(encl));
	sgx_encl_lock(encl);
	page = sgx_pagemap_load(&encl->page_array, addr >> SGX_PAGE_SHIFT);
	if (page && type)
		*type = page->type;
	if (page && max_prot)
		*max_prot = page->vm_max_prot_bits;
	sgx_encl_unlock(encl);
	sgx_encl_put(encl);
	return page != NULL;
}

void s2_check_platform(void)
{
	char err[256];

	if (sgx_platform_check(sgx_default_platform(), err, sizeof(err)))
		fail_msg("platform check: %s", err);
}
