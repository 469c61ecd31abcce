// SPDX-License-Identifier: MIT
/*
 * Reading an enclave ELF for the packer, with libelf for the headers and the symbol table. The
 * image comes from the user, so every size and offset is checked before it is used, and each
 * refusal says what is wrong and, where there is one, how to link it instead.
 */
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/pack_internal.h"

#define PAGE_SIZE 4096ULL
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
/* Segments beyond this are not an enclave image anyone means (and would overflow the layout). */
#define PACK_MAX_VADDR (1ULL << 40)

int pack_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *reloc_type_name(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
		return "R_X86_64_64";
	case R_X86_64_GLOB_DAT:
		return "R_X86_64_GLOB_DAT";
	case R_X86_64_JUMP_SLOT:
		return "R_X86_64_JUMP_SLOT";
	case R_X86_64_IRELATIVE:
		return "R_X86_64_IRELATIVE";
	case R_X86_64_COPY:
		return "R_X86_64_COPY";
	case R_X86_64_DTPMOD64:
		return "R_X86_64_DTPMOD64";
	case R_X86_64_TPOFF64:
		return "R_X86_64_TPOFF64";
	default:
		return "unsupported type";
	}
}

/* The segment whose file-backed bytes hold [vaddr, vaddr + size), or NULL. */
static const struct pack_segment *file_segment(const struct pack_elf *elf, uint64_t vaddr,
					       uint64_t size)
{
	for (unsigned int i = 0; i < elf->nr_segments; i++) {
		const struct pack_segment *s = &elf->segments[i];

		if (vaddr >= s->vaddr && size <= s->filesz && vaddr - s->vaddr <= s->filesz - size)
			return s;
	}
	return NULL;
}

static const struct pack_segment *memory_segment(const struct pack_elf *elf, uint64_t vaddr,
						 uint64_t size)
{
	for (unsigned int i = 0; i < elf->nr_segments; i++) {
		const struct pack_segment *s = &elf->segments[i];

		if (vaddr >= s->vaddr && size <= s->memsz && vaddr - s->vaddr <= s->memsz - size)
			return s;
	}
	return NULL;
}

static const void *vaddr_bytes(const struct pack_elf *elf, uint64_t vaddr, uint64_t size)
{
	const struct pack_segment *s = file_segment(elf, vaddr, size);

	return s ? elf->buf + s->offset + (vaddr - s->vaddr) : NULL;
}

static int check_relocations(struct pack_elf *elf, uint64_t rela, uint64_t relasz, uint64_t relaent,
			     char *err, size_t errlen)
{
	const uint8_t *table;

	if (!relasz)
		return 0;
	if (relaent != sizeof(Elf64_Rela))
		return pack_error(err, errlen, "DT_RELAENT is %llu, expected %zu",
				  (unsigned long long)relaent, sizeof(Elf64_Rela));
	if (relasz % sizeof(Elf64_Rela))
		return pack_error(err, errlen, "DT_RELASZ (%llu) is not a multiple of %zu",
				  (unsigned long long)relasz, sizeof(Elf64_Rela));
	table = vaddr_bytes(elf, rela, relasz);
	if (!table)
		return pack_error(
			err, errlen,
			"the relocation table (0x%llx, %llu bytes) is not inside a loaded "
			"segment's file contents",
			(unsigned long long)rela, (unsigned long long)relasz);

	for (uint64_t i = 0; i < relasz / sizeof(Elf64_Rela); i++) {
		Elf64_Rela r;
		const struct pack_segment *target;
		uint32_t type;

		memcpy(&r, table + i * sizeof(r), sizeof(r));
		type = (uint32_t)ELF64_R_TYPE(r.r_info);
		if (type == R_X86_64_NONE)
			continue;
		if (type != R_X86_64_RELATIVE)
			return pack_error(err, errlen,
					  "relocation %llu at 0x%llx has type %u (%s); only "
					  "R_X86_64_RELATIVE is supported: link with -static-pie "
					  "and leave no symbol undefined",
					  (unsigned long long)i, (unsigned long long)r.r_offset,
					  type, reloc_type_name(type));
		target = memory_segment(elf, r.r_offset, 8);
		if (!target)
			return pack_error(err, errlen,
					  "relocation %llu targets 0x%llx, outside every loaded "
					  "segment",
					  (unsigned long long)i, (unsigned long long)r.r_offset);
		if (!(target->flags & PF_W))
			return pack_error(err, errlen,
					  "relocation %llu targets 0x%llx in a read-only segment "
					  "(a text relocation): the enclave could not apply it",
					  (unsigned long long)i, (unsigned long long)r.r_offset);
		elf->relocations++;
	}
	return 0;
}

static int check_dynamic(struct pack_elf *elf, const GElf_Phdr *dyn, char *err, size_t errlen)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);
	const uint8_t *table;
	uint64_t n;

	if (dyn->p_filesz % sizeof(Elf64_Dyn))
		return pack_error(err, errlen, "PT_DYNAMIC size %llu is not a multiple of %zu",
				  (unsigned long long)dyn->p_filesz, sizeof(Elf64_Dyn));
	table = vaddr_bytes(elf, dyn->p_vaddr, dyn->p_filesz);
	if (!table)
		return pack_error(err, errlen, "PT_DYNAMIC is not inside a loaded segment");
	n = dyn->p_filesz / sizeof(Elf64_Dyn);

	for (uint64_t i = 0; i < n; i++) {
		Elf64_Dyn d;

		memcpy(&d, table + i * sizeof(d), sizeof(d));
		switch (d.d_tag) {
		case DT_NULL:
			return check_relocations(elf, rela, relasz, relaent, err, errlen);
		case DT_NEEDED:
			return pack_error(
				err, errlen,
				"the image needs a shared library (DT_NEEDED); an enclave "
				"must be self-contained: link with -static-pie -nostdlib");
		case DT_RELA:
			rela = d.d_un.d_ptr;
			break;
		case DT_RELASZ:
			relasz = d.d_un.d_val;
			break;
		case DT_RELAENT:
			relaent = d.d_un.d_val;
			break;
		case DT_REL:
		case DT_RELSZ:
			return pack_error(err, errlen,
					  "REL relocations (DT_REL) are not supported, only RELA");
#ifdef DT_RELR
		case DT_RELR:
			return pack_error(
				err, errlen,
				"packed relative relocations (DT_RELR) are not supported: "
				"link without -z pack-relative-relocs");
#endif
		case DT_JMPREL:
		case DT_PLTRELSZ:
			if (d.d_tag == DT_PLTRELSZ && d.d_un.d_val == 0)
				break;
			return pack_error(err, errlen,
					  "the image has PLT relocations (DT_JMPREL): it imports "
					  "symbols, which an enclave cannot resolve");
		case DT_TEXTREL:
			return pack_error(err, errlen,
					  "the image has text relocations (DT_TEXTREL)");
		case DT_FLAGS:
			if (d.d_un.d_val & DF_TEXTREL)
				return pack_error(err, errlen,
						  "the image has text relocations (DF_TEXTREL)");
			break;
		default:
			break;
		}
	}
	return pack_error(err, errlen, "PT_DYNAMIC has no DT_NULL terminator");
}

static int find_symbol(Elf *e, const char *name, uint64_t *value, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	bool have_symtab = false;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		have_symtab = true;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sname;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			sname = elf_strptr(e, sh.sh_link, sym.st_name);
			if (sname && !strcmp(sname, name)) {
				*value = sym.st_value;
				return 0;
			}
		}
	}
	if (!have_symtab)
		return pack_error(err, errlen,
				  "no symbol table to find entry symbol '%s' in "
				  "(stripped image?)",
				  name);
	return pack_error(err, errlen, "entry symbol '%s' is not defined in the image", name);
}

static int read_segments(Elf *e, struct pack_elf *elf, GElf_Phdr *dyn, bool *have_dyn, char *err,
			 size_t errlen)
{
	size_t phnum;

	if (elf_getphdrnum(e, &phnum))
		return pack_error(err, errlen, "cannot read the program headers: %s",
				  elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		struct pack_segment *s;
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			return pack_error(err, errlen, "cannot read program header %zu: %s", i,
					  elf_errmsg(-1));
		switch (ph.p_type) {
		case PT_INTERP:
			return pack_error(err, errlen,
					  "the image asks for a program interpreter (PT_INTERP): "
					  "link with -static-pie");
		case PT_TLS:
			return pack_error(
				err, errlen,
				"the image has thread-local variables (PT_TLS), which the "
				"enclave layout does not set up");
		case PT_DYNAMIC:
			*dyn = ph;
			*have_dyn = true;
			continue;
		case PT_LOAD:
			break;
		default:
			continue;
		}
		if (ph.p_memsz == 0)
			continue;
		if (elf->nr_segments == SGXEMU_PACK_MAX_SEGMENTS)
			return pack_error(err, errlen, "more than %d PT_LOAD segments",
					  SGXEMU_PACK_MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return pack_error(err, errlen, "PT_LOAD segment %zu has p_filesz > p_memsz",
					  i);
		if (ph.p_offset > elf->len || ph.p_filesz > elf->len - ph.p_offset)
			return pack_error(err, errlen,
					  "PT_LOAD segment %zu extends past the end of the file "
					  "(truncated image?)",
					  i);
		if (ph.p_vaddr >= PACK_MAX_VADDR || ph.p_memsz > PACK_MAX_VADDR - ph.p_vaddr)
			return pack_error(
				err, errlen,
				"PT_LOAD segment %zu at 0x%llx (+0x%llx) lies beyond 1 TiB: "
				"the image must be linked at 0",
				i, (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_memsz);
		if (!(ph.p_flags & (PF_R | PF_W | PF_X)))
			return pack_error(err, errlen, "PT_LOAD segment %zu has no permissions", i);
		if ((ph.p_flags & PF_W) && !(ph.p_flags & PF_R))
			return pack_error(err, errlen,
					  "PT_LOAD segment %zu is writable but not readable, which "
					  "SGX pages cannot be",
					  i);
		s = &elf->segments[elf->nr_segments++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags & (PF_R | PF_W | PF_X);
	}
	if (!elf->nr_segments)
		return pack_error(err, errlen, "the image has no PT_LOAD segment");

	/* Ascending and not sharing a page: each page gets exactly one set of permissions. */
	for (unsigned int i = 1; i < elf->nr_segments; i++) {
		for (unsigned int j = i; j > 0; j--) {
			struct pack_segment t;

			if (elf->segments[j - 1].vaddr <= elf->segments[j].vaddr)
				break;
			t = elf->segments[j];
			elf->segments[j] = elf->segments[j - 1];
			elf->segments[j - 1] = t;
		}
	}
	for (unsigned int i = 1; i < elf->nr_segments; i++) {
		const struct pack_segment *a = &elf->segments[i - 1], *b = &elf->segments[i];

		if (PAGE_DOWN(a->vaddr + a->memsz - 1) >= PAGE_DOWN(b->vaddr))
			return pack_error(
				err, errlen,
				"PT_LOAD segments at 0x%llx and 0x%llx share a page; link "
				"with -z separate-code -z max-page-size=4096",
				(unsigned long long)a->vaddr, (unsigned long long)b->vaddr);
	}
	return 0;
}

int pack_read_elf(const uint8_t *buf, size_t len, const char *entry_symbol, struct pack_elf *elf,
		  char *err, size_t errlen)
{
	GElf_Phdr dyn;
	bool have_dyn = false;
	const struct pack_segment *entry_seg;
	GElf_Ehdr eh;
	Elf *e;
	int ret = -1;

	memset(elf, 0, sizeof(*elf));
	elf->buf = buf;
	elf->len = len;

	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return pack_error(err, errlen, "not an ELF file");
	if (buf[EI_CLASS] != ELFCLASS64 || buf[EI_DATA] != ELFDATA2LSB)
		return pack_error(err, errlen, "not a 64-bit little-endian ELF file");

	if (elf_version(EV_CURRENT) == EV_NONE)
		return pack_error(err, errlen, "libelf: %s", elf_errmsg(-1));
	/* Read-only use: libelf does not write into a memory image opened this way. */
	e = elf_memory((char *)buf, len);
	if (!e)
		return pack_error(err, errlen, "libelf cannot read the image: %s", elf_errmsg(-1));
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		pack_error(err, errlen, "not an ELF file: %s", elf_errmsg(-1));
		goto out;
	}
	if (eh.e_machine != EM_X86_64) {
		pack_error(err, errlen, "not an x86-64 image (e_machine %u)", eh.e_machine);
		goto out;
	}
	if (eh.e_type != ET_DYN) {
		if (eh.e_type == ET_EXEC)
			pack_error(err, errlen,
				   "not position-independent (ET_EXEC): link with -static-pie");
		else
			pack_error(err, errlen,
				   "not an executable image (e_type %u): link with -static-pie",
				   eh.e_type);
		goto out;
	}
	if (read_segments(e, elf, &dyn, &have_dyn, err, errlen))
		goto out;
	if (have_dyn && check_dynamic(elf, &dyn, err, errlen))
		goto out;

	elf->entry = eh.e_entry;
	if (entry_symbol && find_symbol(e, entry_symbol, &elf->entry, err, errlen))
		goto out;
	entry_seg = memory_segment(elf, elf->entry, 1);
	if (!entry_seg || !(entry_seg->flags & PF_X)) {
		pack_error(err, errlen, "the entry point 0x%llx is not in an executable segment",
			   (unsigned long long)elf->entry);
		goto out;
	}
	ret = 0;
out:
	elf_end(e);
	return ret;
}
