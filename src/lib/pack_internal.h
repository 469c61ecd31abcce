/* SPDX-License-Identifier: MIT */
/* The packer's ELF reader (pack_elf.c), used by pack.c. */
#ifndef SGXEMU_LIB_PACK_INTERNAL_H
#define SGXEMU_LIB_PACK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sgxemu/pack.h>

struct pack_segment {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

/* What the packer needs from a checked ELF image; buf points into the caller's copy. */
struct pack_elf {
	const uint8_t *buf;
	size_t len;
	uint64_t entry;
	uint64_t relocations;
	unsigned int nr_segments;
	struct pack_segment segments[SGXEMU_PACK_MAX_SEGMENTS]; /* ascending vaddr */
};

/*
 * Checks the image (see pack.h for what is refused) and fills *elf. entry_symbol NULL means
 * e_entry. Returns 0, or -1 with a one-line reason in err.
 */
int pack_read_elf(const uint8_t *buf, size_t len, const char *entry_symbol, struct pack_elf *elf,
		  char *err, size_t errlen);

__attribute__((format(printf, 3, 4))) int pack_error(char *err, size_t errlen, const char *fmt,
						     ...);

#endif /* SGXEMU_LIB_PACK_INTERNAL_H */
