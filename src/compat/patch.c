/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu run --patch-cpuid=LIB[:LIB...]`, for hosts without CPUID faulting: every `cpuid`
 * (0f a2) in the code of the named libraries becomes `ud2` (0f 0b), same length, and the runtime
 * answers the SIGILL at those addresses as CPUID (runtime/cpuid.c keeps the table that tells them
 * from any other ud2).
 *
 * Finding the instructions: a byte search for 0f a2 would also hit immediates, displacements and
 * data in code. Each function's extent comes from the object's .eh_frame (through PT_GNU_EH_FRAME,
 * present in stripped libraries too; an object without one falls back to its dynamic symbols'
 * STT_FUNC extents) and is decoded from its first byte with capstone, so only real CPUID
 * instructions are rewritten. Only the second byte changes (a2 -> 0b): one byte store, atomic for
 * any thread running the code at that moment.
 *
 * When: the shim's constructor, for the libraries loaded then. A library's own constructor runs
 * before the shim's (the dynamic loader initialises LD_PRELOAD objects after the program's
 * dependencies), so CPUID executed by a constructor sees the real CPU; libraries opened later with
 * dlopen are patched when the shim's dlopen returns. docs/compat.md says so.
 */
#include "compat/patch.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/cpuid.h"

#define PAGE 4096UL

/* --- .eh_frame ----------------------------------------------------------------------------- */

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_absptr 0x00
#define DW_EH_PE_uleb128 0x01
#define DW_EH_PE_udata2 0x02
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_udata8 0x04
#define DW_EH_PE_sleb128 0x09
#define DW_EH_PE_sdata2 0x0a
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_sdata8 0x0c
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

static uint64_t read_uleb(const uint8_t **p)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		b = *(*p)++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static int64_t read_sleb(const uint8_t **p)
{
	int64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		b = *(*p)++;
		if (shift < 64)
			v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= -(1LL << shift);
	return v;
}

/* A pointer in encoding enc at *p; datarel is relative to data (the .eh_frame_hdr). */
static bool read_encoded(const uint8_t **p, uint8_t enc, uint64_t data, uint64_t *out)
{
	const uint8_t *start = *p;
	uint64_t v;

	if (enc == DW_EH_PE_omit)
		return false;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		memcpy(&v, *p, 8);
		*p += 8;
		break;
	case DW_EH_PE_udata4: {
		uint32_t x;

		memcpy(&x, *p, 4);
		*p += 4;
		v = x;
		break;
	}
	case DW_EH_PE_sdata4: {
		int32_t x;

		memcpy(&x, *p, 4);
		*p += 4;
		v = (uint64_t)(int64_t)x;
		break;
	}
	case DW_EH_PE_udata2: {
		uint16_t x;

		memcpy(&x, *p, 2);
		*p += 2;
		v = x;
		break;
	}
	case DW_EH_PE_sdata2: {
		int16_t x;

		memcpy(&x, *p, 2);
		*p += 2;
		v = (uint64_t)(int64_t)x;
		break;
	}
	case DW_EH_PE_uleb128:
		v = read_uleb(p);
		break;
	case DW_EH_PE_sleb128:
		v = (uint64_t)read_sleb(p);
		break;
	default:
		return false;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case DW_EH_PE_pcrel:
		v += (uint64_t)start;
		break;
	case DW_EH_PE_datarel:
		v += data;
		break;
	default:
		return false;
	}
	*out = v;
	return true;
}

/* The FDE pointer encoding of a CIE ("zR" augmentation), or absptr. */
static uint8_t cie_fde_encoding(const uint8_t *cie)
{
	const uint8_t *p = cie + 8; /* length, CIE id */
	const char *aug;
	uint8_t version = *p++;

	aug = (const char *)p;
	p += strlen(aug) + 1;
	if (aug[0] != 'z')
		return DW_EH_PE_absptr;
	read_uleb(&p);	     /* code alignment */
	read_sleb(&p);	     /* data alignment */
	if (version == 1)
		p++;	     /* return register */
	else
		read_uleb(&p);
	read_uleb(&p);	     /* augmentation length */
	for (const char *a = aug + 1; *a; a++) {
		switch (*a) {
		case 'R':
			return *p;
		case 'P': {
			uint8_t enc = *p++;
			uint64_t dummy;

			if (!read_encoded(&p, enc & 0x7f, 0, &dummy))
				return DW_EH_PE_absptr;
			break;
		}
		case 'L':
			p++;
			break;
		default:
			return DW_EH_PE_absptr;
		}
	}
	return DW_EH_PE_absptr;
}

typedef void (*range_fn)(uint64_t start, uint64_t end, void *arg);

/* Calls fn for each function range the .eh_frame_hdr's table lists. Returns the count. */
static unsigned int for_each_fde(uint64_t hdr, range_fn fn, void *arg)
{
	const uint8_t *p = (const uint8_t *)hdr;
	uint8_t version = p[0], ptr_enc = p[1], count_enc = p[2], table_enc = p[3];
	uint64_t eh_frame, count;
	unsigned int done = 0;

	if (version != 1)
		return 0;
	p += 4;
	if (!read_encoded(&p, ptr_enc, hdr, &eh_frame) || !read_encoded(&p, count_enc, hdr, &count))
		return 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t loc, fde_addr, pc_begin, pc_range;
		const uint8_t *fde, *q, *cie;
		uint32_t cie_off;
		uint8_t enc;

		if (!read_encoded(&p, table_enc, hdr, &loc) ||
		    !read_encoded(&p, table_enc, hdr, &fde_addr))
			break;
		fde = (const uint8_t *)fde_addr;
		if (*(const uint32_t *)fde == 0xffffffff)
			continue; /* 64-bit DWARF: not produced for x86-64 code */
		memcpy(&cie_off, fde + 4, 4);
		cie = fde + 4 - cie_off;
		enc = cie_fde_encoding(cie);
		q = fde + 8;
		if (!read_encoded(&q, enc, hdr, &pc_begin) ||
		    !read_encoded(&q, enc & 0x0f, hdr, &pc_range))
			continue;
		fn(pc_begin, pc_begin + pc_range, arg);
		done++;
	}
	return done;
}

/* --- the symbol table: objects linked without .eh_frame_hdr (static executables) ----------- */

/* Calls fn for every STT_FUNC of the file's .symtab (else .dynsym). Returns the count. */
static unsigned int for_each_symbol(const char *path, uint64_t base, range_fn fn, void *arg)
{
	unsigned int done = 0;
	Elf_Scn *scn = NULL, *found = NULL;
	GElf_Shdr sh, found_sh;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !found)) {
			found = scn;
			found_sh = sh;
		}
	}
	if (found) {
		Elf_Data *data = elf_getdata(found, NULL);
		size_t n = found_sh.sh_entsize ? found_sh.sh_size / found_sh.sh_entsize : 0;

		for (size_t i = 0; data && i < n; i++) {
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_size || sym.st_shndx == SHN_UNDEF)
				continue;
			fn(base + sym.st_value, base + sym.st_value + sym.st_size, arg);
			done++;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return done;
}

/* --- decoding and rewriting ------------------------------------------------------------------ */

struct scan {
	csh cs;
	uint64_t text_start, text_end; /* the executable segment(s): [start, end) */
	uint64_t *sites;
	unsigned int nr, cap;
};

static void add_site(struct scan *s, uint64_t addr)
{
	for (unsigned int i = 0; i < s->nr; i++)
		if (s->sites[i] == addr)
			return;
	if (s->nr == s->cap) {
		uint64_t *n = realloc(s->sites, (s->cap ? s->cap * 2 : 16) * sizeof(*n));

		if (!n)
			return;
		s->sites = n;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	s->sites[s->nr++] = addr;
}

static void scan_range(uint64_t start, uint64_t end, void *arg)
{
	struct scan *s = arg;
	const uint8_t *code = (const uint8_t *)start;
	size_t size = end - start;
	uint64_t addr = start;
	cs_insn *insn;

	if (start < s->text_start || end > s->text_end || start >= end)
		return;
	insn = cs_malloc(s->cs);
	if (!insn)
		return;
	while (size && cs_disasm_iter(s->cs, &code, &size, &addr, insn))
		if (insn->id == X86_INS_CPUID && insn->size == 2)
			add_site(s, insn->address);
	cs_free(insn, 1);
}

static int rewrite(uint64_t site, int prot)
{
	uint64_t page = site & ~(PAGE - 1);
	size_t len = ((site + 2 + PAGE - 1) & ~(PAGE - 1)) - page;

	if (sgx_sys_mprotect((void *)page, len, prot | PROT_WRITE))
		return -errno;
	/* Record first: the SIGILL must find the site the moment the byte changes. */
	if (sgx_cpuid_patch_add(site)) {
		sgx_sys_mprotect((void *)page, len, prot);
		return -ENOSPC;
	}
	__atomic_store_n((uint8_t *)(site + 1), 0x0b, __ATOMIC_RELEASE);
	sgx_sys_mprotect((void *)page, len, prot);
	return 0;
}

int compat_patch_object(const char *name, uint64_t base, const void *phdrs, unsigned int phnum)
{
	const ElfW(Phdr) *ph = phdrs;
	uint64_t eh_frame_hdr = 0;
	struct scan s = { 0 };
	int prot = PROT_READ | PROT_EXEC, patched = 0;

	for (unsigned int i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			uint64_t start = base + ph[i].p_vaddr, end = start + ph[i].p_memsz;

			if (!s.text_start || start < s.text_start)
				s.text_start = start;
			if (end > s.text_end)
				s.text_end = end;
			prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) | PROT_EXEC;
		} else if (ph[i].p_type == PT_GNU_EH_FRAME) {
			eh_frame_hdr = base + ph[i].p_vaddr;
		}
	}
	if (!s.text_start)
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s.cs) != CS_ERR_OK)
		return -ENOMEM;
	if ((!eh_frame_hdr || !for_each_fde(eh_frame_hdr, scan_range, &s)) &&
	    !for_each_symbol(name, base, scan_range, &s)) {
		pr_warn("sgxemu: %s has neither .eh_frame_hdr nor a symbol table; --patch-cpuid "
			"cannot find its functions",
			name);
	}
	cs_close(&s.cs);
	for (unsigned int i = 0; i < s.nr; i++) {
		const uint8_t *p = (const uint8_t *)s.sites[i];
		int ret;

		if (p[0] != 0x0f || p[1] != 0xa2)
			continue;
		ret = rewrite(s.sites[i], prot);
		if (ret) {
			pr_warn("sgxemu: cannot rewrite cpuid at %#llx in %s (%s)",
				(unsigned long long)s.sites[i], name, strerror(-ret));
			continue;
		}
		patched++;
	}
	free(s.sites);
	pr_info("sgxemu: --patch-cpuid: %d cpuid instruction%s in %s", patched,
		patched == 1 ? "" : "s", name);
	return patched;
}

/* --- which objects --------------------------------------------------------------------------- */

bool compat_patch_wanted(const char *list, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t blen;

	base = base ? base + 1 : path;
	blen = strlen(base);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n) {
			/* A path names one file; a bare name matches libfoo.so and libfoo.so.1.2. */
			if (memchr(p, '/', n)) {
				if (strlen(path) == n && !memcmp(path, p, n))
					return true;
			} else if (blen >= n && !memcmp(base, p, n) &&
				   (base[n] == '\0' || base[n] == '.')) {
				return true;
			}
		}
		p += n + (end ? 1 : 0);
	}
	return false;
}

const char *compat_patch_list;

struct loaded_args {
	const char *list;
	unsigned int adds;
};

static int patch_loaded_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct loaded_args *a = arg;
	const char *name = info->dlpi_name;

	if (!name || !*name)
		name = program_invocation_name;
	if (compat_patch_wanted(a->list, name) && !compat_patch_seen(info->dlpi_addr))
		compat_patch_object(name, info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum);
	return 0;
}

/* Objects already patched, by load address (a library is patched once). */
#define MAX_PATCHED_OBJECTS 256
static uint64_t patched_objects[MAX_PATCHED_OBJECTS];
static unsigned int nr_patched_objects;

bool compat_patch_seen(uint64_t base)
{
	for (unsigned int i = 0; i < nr_patched_objects; i++)
		if (patched_objects[i] == base)
			return true;
	if (nr_patched_objects < MAX_PATCHED_OBJECTS)
		patched_objects[nr_patched_objects++] = base;
	return false;
}

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;

void compat_patch_cpuid_loaded(const char *list)
{
	struct loaded_args a = { .list = list };

	pthread_mutex_lock(&patch_lock);
	dl_iterate_phdr(patch_loaded_one, &a);
	pthread_mutex_unlock(&patch_lock);
}
