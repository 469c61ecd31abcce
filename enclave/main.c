// SPDX-License-Identifier: MIT
/*
 * The C side of every entry: relocate once, then either run the exception handler (CSSA > 0) or
 * copy the argument block in from untrusted memory, run one operation, and copy the results out.
 */
#include "te.h"

struct te_op_desc {
	te_op_fn fn;
	uint32_t in;  /* bytes of the union read from the host */
	uint32_t out; /* bytes of the union written back */
};

#define U_SIZE(member) ((uint32_t)sizeof(((struct te_args *)0)->u.member))
#define OP(num, func, member, copy_in, copy_out) \
	[num] = { func, (copy_in) ? U_SIZE(member) : 0, (copy_out) ? U_SIZE(member) : 0 }

/* Function pointers: this table is itself relocated at the first entry. */
static const struct te_op_desc te_ops[TE_OP_MAX] = {
	OP(TE_OP_ECHO, te_op_echo, echo, 1, 1),
	OP(TE_OP_INFO, te_op_info, info, 0, 1),
	OP(TE_OP_BUF_PUT, te_op_buf_put, buf, 1, 0),
	OP(TE_OP_BUF_GET, te_op_buf_get, buf, 1, 1),
	OP(TE_OP_READ, te_op_read, mem, 1, 1),
	OP(TE_OP_WRITE, te_op_write, mem, 1, 0),
	OP(TE_OP_EACCEPT, te_op_eaccept, sgx2, 1, 1),
	OP(TE_OP_EACCEPTCOPY, te_op_eacceptcopy, sgx2, 1, 1),
	OP(TE_OP_EMODPE, te_op_emodpe, sgx2, 1, 1),
	OP(TE_OP_EREPORT, te_op_ereport, ereport, 1, 1),
	OP(TE_OP_EGETKEY, te_op_egetkey, egetkey, 1, 1),
	OP(TE_OP_ENCLU, te_op_enclu, enclu, 1, 1),
	OP(TE_OP_FAULT, te_op_fault, fault, 1, 1),
	OP(TE_OP_TOUCH, te_op_touch, touch, 1, 1),
	OP(TE_OP_SPIN, te_op_spin, spin, 1, 1),
	OP(TE_OP_SET_POLICY, te_op_set_policy, policy, 1, 1),
	OP(TE_OP_GET_EXCEPTIONS, te_op_get_exceptions, exceptions, 1, 1),
};

#define TE_ARGS_HEADER ((uint32_t) __builtin_offsetof(struct te_args, u))

int te_inside_enclave(uint64_t addr, uint64_t len)
{
	uint64_t base = te_base(), size = te_tls()->enclave_size;

	return addr >= base && len <= size && addr - base <= size - len;
}

int te_outside_enclave(uint64_t addr, uint64_t len)
{
	uint64_t base = te_base(), end = base + te_tls()->enclave_size;

	if (!addr || addr + len < addr)
		return 0;
	return addr + len <= base || addr >= end;
}

static int64_t te_call(const struct te_entry_frame *f, uint64_t op)
{
	const struct te_op_desc *d;
	struct te_args a;
	uint64_t span;
	int64_t status;

	if (op >= TE_OP_MAX || !te_ops[op].fn) {
		if (te_outside_enclave(f->args, TE_ARGS_HEADER))
			*(volatile int64_t *)f->args = TE_ERR_OP;
		return TE_ERR_OP;
	}
	d = &te_ops[op];
	span = TE_ARGS_HEADER + (d->in > d->out ? d->in : d->out);
	if (!te_outside_enclave(f->args, span))
		return TE_ERR_ARGS;

	memset(&a, 0, TE_ARGS_HEADER + (d->in > d->out ? d->in : d->out));
	memcpy(&a.u, (const void *)(f->args + TE_ARGS_HEADER), d->in);
	status = d->fn(&a, f);
	a.status = status;
	memcpy((void *)f->args, &a, TE_ARGS_HEADER + d->out);
	return status;
}

/* Called by entry.S on the enclave stack; the return value goes to the host in RDI. */
int64_t te_enclave_entry(const struct te_entry_frame *f, uint64_t op);

int64_t te_enclave_entry(const struct te_entry_frame *f, uint64_t op)
{
	if (te_relocate_once()) {
		if (te_outside_enclave(f->args, sizeof(int64_t)))
			*(volatile int64_t *)f->args = TE_ERR_RELOC;
		return TE_ERR_RELOC;
	}
	te_thread()->entries++;
	if (f->cssa)
		return te_handle_exception(f);
	return te_call(f, op);
}
