/* SPDX-License-Identifier: MIT */
/* Internals of the example enclave: its base and size, ENCLU, the operations. */
#ifndef HELLO_ENCLAVE_H
#define HELLO_ENCLAVE_H

#include <stddef.h>
#include <stdint.h>

#include <sgxemu/arch.h>
#include <sgxemu/enclave_tls.h>

#include "hello_abi.h"

#define HELLO_HIDDEN __attribute__((visibility("hidden")))

/* The image is linked at 0, so its ELF header sits at the enclave base. */
extern const char __ehdr_start[] HELLO_HIDDEN;

static inline uint64_t hello_base(void)
{
	return (uint64_t)__ehdr_start;
}

/* SECS.SIZE, from the TLS page `sgxemu pack` wrote (GS.base points at it inside the enclave). */
static inline uint64_t hello_size(void)
{
	uint64_t v;

	asm("movq %%gs:%c1, %0"
	    : "=r"(v)
	    : "i"(__builtin_offsetof(struct sgxemu_tls, enclave_size)));
	return v;
}

/* One ENCLU leaf; returns RAX, *zf = ZF (EGETKEY's error indication). */
static inline uint64_t hello_enclu(uint64_t leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx, int *zf)
{
	uint8_t z;

	asm volatile("enclu"
		     : "+a"(leaf), "+b"(rbx), "+c"(rcx), "+d"(rdx), "=@ccz"(z)
		     :
		     : "memory");
	if (zf)
		*zf = z;
	return leaf;
}

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

int hello_relocate(void);

int64_t hello_greet(struct hello_greet *g);
int64_t hello_self_target(struct hello_target *t);
int64_t hello_report(struct hello_report *r);
int64_t hello_verify(struct hello_report *r);
int64_t hello_seal(struct hello_seal *s);
int64_t hello_unseal(struct hello_seal *s);

/* EREPORT for ti (NULL: a report for no one, to learn this enclave's own identity). */
void hello_ereport(const struct sgx_targetinfo *ti, const uint8_t reportdata[64],
		   struct sgx_report *out);

#endif /* HELLO_ENCLAVE_H */
