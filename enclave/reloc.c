// SPDX-License-Identifier: MIT
/*
 * Self-relocation. The image is a static PIE linked at 0 and loaded at BASEADDR, so every
 * absolute pointer in its data (function-pointer tables, the GOT) needs BASEADDR added: the
 * R_X86_64_RELATIVE entries of .rela.dyn, found through _DYNAMIC. This runs at the first entry,
 * before anything reads such a pointer, so this file itself must not use one: it reaches
 * _DYNAMIC and the state word RIP-relatively (hidden symbols) and has no switch tables
 * (-fno-jump-tables for the whole image).
 *
 * Two threads may enter first at the same time: one wins the 0 -> 1 transition and relocates,
 * the others wait for 2 (done) or 3 (failed). The winner can be interrupted (AEX) meanwhile;
 * the waiters just spin until it resumes.
 */
#include <elf.h>

#include "te.h"

#define RELOC_NONE 0
#define RELOC_BUSY 1
#define RELOC_DONE 2
#define RELOC_FAILED 3

extern Elf64_Dyn _DYNAMIC[] TE_HIDDEN;

static uint32_t reloc_state;
static uint64_t reloc_count;

static int apply_relocations(uint64_t base)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);
	uint64_t count = 0;

	for (const Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELA)
			rela = d->d_un.d_ptr;
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
		else if (d->d_tag == DT_RELAENT)
			relaent = d->d_un.d_val;
		else if (d->d_tag == DT_REL || d->d_tag == DT_JMPREL || d->d_tag == DT_TEXTREL)
			return -1; /* the packer refuses these too */
#ifdef DT_RELR
		else if (d->d_tag == DT_RELR)
			return -1;
#endif
	}
	if (relaent != sizeof(Elf64_Rela))
		return -1;

	/* d_ptr values are link-time addresses, i.e. offsets from the base. */
	for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= relasz; off += relaent) {
		const Elf64_Rela *r = (const Elf64_Rela *)(base + rela + off);

		switch (ELF64_R_TYPE(r->r_info)) {
		case R_X86_64_NONE:
			break;
		case R_X86_64_RELATIVE:
			*(uint64_t *)(base + r->r_offset) = base + (uint64_t)r->r_addend;
			count++;
			break;
		default:
			return -1;
		}
	}
	reloc_count = count;
	return 0;
}

int te_relocate_once(void)
{
	uint32_t state = __atomic_load_n(&reloc_state, __ATOMIC_ACQUIRE);
	uint32_t expected = RELOC_NONE;

	if (state == RELOC_DONE)
		return 0;
	if (state == RELOC_NONE &&
	    __atomic_compare_exchange_n(&reloc_state, &expected, RELOC_BUSY, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_ACQUIRE)) {
		state = apply_relocations(te_base()) ? RELOC_FAILED : RELOC_DONE;
		__atomic_store_n(&reloc_state, state, __ATOMIC_RELEASE);
		return state == RELOC_DONE ? 0 : -1;
	}
	while ((state = __atomic_load_n(&reloc_state, __ATOMIC_ACQUIRE)) == RELOC_BUSY)
		__builtin_ia32_pause();
	return state == RELOC_DONE ? 0 : -1;
}

uint64_t te_relocation_count(void)
{
	return reloc_count;
}
