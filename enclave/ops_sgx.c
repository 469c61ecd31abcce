// SPDX-License-Identifier: MIT
/*
 * Operations around the in-enclave ENCLU leaves. Operands the SDM wants aligned (SECINFO 64,
 * TARGETINFO and REPORT 512, REPORTDATA 128, KEYREQUEST 512, the key 16) are copied to aligned
 * stack buffers, which are ordinary REG pages of the enclave, as the leaves require.
 */
#include "te.h"

static int64_t sgx2_leaf(struct te_sgx2 *s, uint64_t leaf)
{
	struct te_secinfo secinfo = { .flags = s->secinfo_flags };
	struct te_enclu_regs r = {
		.rax = leaf,
		.rbx = (uint64_t)&secinfo,
		.rcx = s->addr,
		.rdx = s->src,
	};

	s->flags_out = te_enclu(&r);
	s->rax_out = r.rax;
	return TE_OK;
}

int64_t te_op_eaccept(struct te_args *a, const struct te_entry_frame *f)
{
	return sgx2_leaf(&a->u.sgx2, TE_EACCEPT);
}

int64_t te_op_eacceptcopy(struct te_args *a, const struct te_entry_frame *f)
{
	return sgx2_leaf(&a->u.sgx2, TE_EACCEPTCOPY);
}

int64_t te_op_emodpe(struct te_args *a, const struct te_entry_frame *f)
{
	return sgx2_leaf(&a->u.sgx2, TE_EMODPE);
}

int64_t te_op_ereport(struct te_args *a, const struct te_entry_frame *f)
{
	uint8_t targetinfo[512] __attribute__((aligned(512)));
	uint8_t reportdata[64] __attribute__((aligned(128)));
	uint8_t report[512] __attribute__((aligned(512)));
	struct te_enclu_regs r = {
		.rax = TE_EREPORT,
		.rbx = (uint64_t)targetinfo,
		.rcx = (uint64_t)reportdata,
		.rdx = (uint64_t)report,
	};

	memcpy(targetinfo, a->u.ereport.targetinfo, sizeof(targetinfo));
	memcpy(reportdata, a->u.ereport.reportdata, sizeof(reportdata));
	memset(report, 0, sizeof(report));
	te_enclu(&r);
	memcpy(a->u.ereport.report, report, sizeof(a->u.ereport.report));
	return TE_OK;
}

int64_t te_op_egetkey(struct te_args *a, const struct te_entry_frame *f)
{
	uint8_t keyrequest[512] __attribute__((aligned(512)));
	uint8_t key[16] __attribute__((aligned(16))) = { 0 };
	struct te_egetkey *g = &a->u.egetkey;
	struct te_enclu_regs r = {
		.rax = TE_EGETKEY,
		.rbx = (uint64_t)keyrequest,
		.rcx = (uint64_t)key,
	};

	memcpy(keyrequest, g->keyrequest, sizeof(keyrequest));
	g->flags_out = te_enclu(&r);
	g->rax_out = r.rax;
	memcpy(g->key, key, sizeof(key));
	return TE_OK;
}

int64_t te_op_enclu(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_enclu *e = &a->u.enclu;
	struct te_enclu_regs r = { .rax = e->rax, .rbx = e->rbx, .rcx = e->rcx, .rdx = e->rdx };

	/* EEXIT would leave with the enclave's stack and no way back: not offered. */
	if ((uint32_t)e->rax == TE_EEXIT)
		return TE_ERR_PARAM;
	e->flags_out = te_enclu(&r);
	e->rax_out = r.rax;
	e->rbx_out = r.rbx;
	e->rcx_out = r.rcx;
	e->rdx_out = r.rdx;
	return TE_OK;
}
