// SPDX-License-Identifier: MIT
/*
 * What a freestanding enclave image needs besides its own code: self-relocation and the four
 * memory functions the compiler may call.
 *
 * The image is a static PIE linked at 0 and loaded at the enclave base, so every absolute address
 * in its data needs the base added: the R_X86_64_RELATIVE entries of .rela.dyn, found through
 * _DYNAMIC. They are applied at the first entry, before any such pointer is read; this code reaches
 * _DYNAMIC RIP-relatively and uses no pointer tables itself. The enclave has one TCS, so one
 * thread at a time runs here.
 */
#include <elf.h>

#include "enclave.h"

extern Elf64_Dyn _DYNAMIC[] HELLO_HIDDEN;

static int relocated;

int hello_relocate(void)
{
	uint64_t base = hello_base(), rela = 0, relasz = 0;

	if (relocated)
		return 0;
	for (const Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELA)
			rela = d->d_un.d_ptr;
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
		else if (d->d_tag == DT_RELAENT && d->d_un.d_val != sizeof(Elf64_Rela))
			return -1;
	}
	for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= relasz; off += sizeof(Elf64_Rela)) {
		const Elf64_Rela *r = (const Elf64_Rela *)(base + rela + off);

		if (ELF64_R_TYPE(r->r_info) == R_X86_64_RELATIVE)
			*(uint64_t *)(base + r->r_offset) = base + (uint64_t)r->r_addend;
		else if (ELF64_R_TYPE(r->r_info) != R_X86_64_NONE)
			return -1; /* `sgxemu pack` refuses such images anyway */
	}
	relocated = 1;
	return 0;
}

/* String instructions, so that the compiler cannot turn these loops into calls to themselves. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	d += n - 1;
	s += n - 1;
	asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory", "cc");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}
