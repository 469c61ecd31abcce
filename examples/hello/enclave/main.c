// SPDX-License-Identifier: MIT
/*
 * The example enclave's C entry: check and copy the argument block in, run one operation on the
 * private copy, copy the results out. The host never makes the enclave write its own memory
 * through an argument pointer: the whole block must lie outside ELRANGE.
 */
#include "enclave.h"

#ifndef HELLO_ENCLAVE_NAME
#define HELLO_ENCLAVE_NAME "?"
#endif

static uint64_t greetings;

/* [addr, addr + len) lies entirely outside ELRANGE and does not wrap or start at 0. */
static int outside_enclave(uint64_t addr, uint64_t len)
{
	uint64_t base = hello_base(), end = base + hello_size();

	if (!addr || addr + len < addr)
		return 0;
	return addr + len <= base || addr >= end;
}

static size_t append(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s && pos + 1 < cap)
		buf[pos++] = *s++;
	buf[pos] = 0;
	return pos;
}

static size_t append_u64(char *buf, size_t pos, size_t cap, uint64_t v)
{
	char digits[21];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && pos + 1 < cap)
		buf[pos++] = digits[--n];
	buf[pos] = 0;
	return pos;
}

int64_t hello_greet(struct hello_greet *g)
{
	size_t pos = 0;

	g->name[HELLO_NAME_MAX - 1] = 0;
	g->calls = ++greetings;
	pos = append(g->text, pos, sizeof(g->text), "Hello, ");
	pos = append(g->text, pos, sizeof(g->text), g->name);
	pos = append(g->text, pos, sizeof(g->text),
		     "! This is enclave " HELLO_ENCLAVE_NAME ", call ");
	append_u64(g->text, pos, sizeof(g->text), g->calls);
	return HELLO_OK;
}

static int64_t dispatch(uint64_t op, struct hello_args *a)
{
	switch (op) {
	case HELLO_OP_GREET:
		return hello_greet(&a->u.greet);
	case HELLO_OP_SELF_TARGET:
		return hello_self_target(&a->u.target);
	case HELLO_OP_REPORT:
		return hello_report(&a->u.report);
	case HELLO_OP_VERIFY:
		return hello_verify(&a->u.report);
	case HELLO_OP_SEAL:
		return hello_seal(&a->u.seal);
	case HELLO_OP_UNSEAL:
		return hello_unseal(&a->u.seal);
	default:
		return HELLO_ERR_OP;
	}
}

/* Called by entry.S on the enclave stack; the return value goes to the host in RDI. */
int64_t hello_ecall(uint64_t op, uint64_t args);

int64_t hello_ecall(uint64_t op, uint64_t args)
{
	struct hello_args a;
	int64_t status;

	if (hello_relocate())
		return HELLO_ERR_RELOC;
	if (!outside_enclave(args, sizeof(a)))
		return HELLO_ERR_ARGS;
	memcpy(&a, (const void *)args, sizeof(a));
	status = dispatch(op, &a);
	a.status = status;
	memcpy((void *)args, &a, sizeof(a));
	/* The private copy may hold a secret: leave nothing of it on the stack. */
	memset(&a, 0, sizeof(a));
	asm volatile("" : : "r"(&a) : "memory");
	return status;
}
