/* SPDX-License-Identifier: MIT */
/*
 * The vDSO that programs under sgxemu see: an ELF image built at run time from the real vDSO's
 * dynamic symbol table, with every symbol of the real one (each a `jmp *slot(%rip)` into the real
 * function, so clock_gettime and friends keep their speed and semantics) plus
 * __vdso_sgx_enter_enclave (version LINUX_2.6), whose trampoline jumps to sgxemu_enter_enclave:
 * the same contract, no C in between (the jump clobbers no register).
 *
 * Why built at run time rather than from a template: the real vDSO's symbol set and versions
 * differ between kernels (__vdso_getrandom appeared in 6.11; a kernel built with CONFIG_X86_SGX
 * already has __vdso_sgx_enter_enclave, which ours then replaces), and reading them is cheap.
 *
 * The image is what a hand-written parser (the kernel selftests' parse_vdso.c, Intel's and
 * Gramine's loaders), glibc's dlopen and libelf expect of a vDSO: ET_DYN linked at 0, one PT_LOAD
 * (R+X) with p_offset == p_vaddr, PT_DYNAMIC, PT_NOTE (the real vDSO's notes), PT_GNU_STACK,
 * DT_HASH *and* DT_GNU_HASH, DT_SYMTAB/DT_STRTAB/DT_STRSZ/DT_SYMENT, DT_VERSYM, DT_VERDEF and
 * DT_VERDEFNUM (the real vDSO's version definitions), DT_SONAME "linux-vdso.so.1", and section
 * headers for tools (gdb, readelf, libelf).
 */
#include "compat/compat.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "common/sys.h"

#define VDSO_MAX_SYMS 64
#define VDSO_MAX_VERDEFS 8
#define VDSO_STRTAB_MAX 2048
#define VDSO_NOTES_MAX 256
#define VDSO_SGX_SYMBOL "__vdso_sgx_enter_enclave"
#define VDSO_SGX_VERSION "LINUX_2.6"
#define VDSO_TRAMPOLINE_SIZE 8

struct vdso_sym {
	uint32_t name; /* offset in the new string table */
	unsigned char info, other;
	uint16_t version; /* versym */
	uint64_t target;  /* absolute address the trampoline jumps to */
	uint32_t gnu_hash;
};

struct vdso_verdef {
	uint16_t flags, ndx;
	uint32_t hash;
	uint32_t name;
};

/* What we read from the real vDSO, and the new string table being built. */
struct vdso_model {
	struct vdso_sym syms[VDSO_MAX_SYMS];
	unsigned int nr_syms;
	struct vdso_verdef verdefs[VDSO_MAX_VERDEFS];
	unsigned int nr_verdefs;
	char strtab[VDSO_STRTAB_MAX];
	uint32_t strsz;
	uint8_t notes[VDSO_NOTES_MAX];
	uint32_t notes_size;
};

static struct {
	pthread_once_t once;
	uint8_t *image;
	size_t size;
	uint64_t real;
	int memfd; /* the same bytes, for dlopen("linux-vdso.so.1"); made on demand */
	pthread_mutex_t memfd_lock;
} vdso = { .once = PTHREAD_ONCE_INIT, .memfd = -1, .memfd_lock = PTHREAD_MUTEX_INITIALIZER };

uint32_t compat_elf_hash(const char *name)
{
	uint32_t h = 0, g;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

uint32_t compat_gnu_hash(const char *name)
{
	uint32_t h = 5381;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 33 + *p;
	return h;
}

static uint32_t add_string(struct vdso_model *m, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off;

	/* Reuse an identical string (names and version names repeat). */
	for (off = 1; off < m->strsz; off += (uint32_t)strlen(m->strtab + off) + 1)
		if (!strcmp(m->strtab + off, s))
			return off;
	if (m->strsz + len > sizeof(m->strtab))
		return 0;
	off = m->strsz;
	memcpy(m->strtab + off, s, len);
	m->strsz += (uint32_t)len;
	return off;
}

/* The real vDSO's dynamic section: the pointers we need, as addresses in this process. */
struct real_vdso {
	uint64_t base, load_offset;
	const Elf64_Sym *symtab;
	const char *strtab;
	const Elf64_Half *versym;
	const Elf64_Verdef *verdef;
	uint32_t nr_syms;
	const uint8_t *notes;
	uint64_t notes_size;
};

static uint32_t gnu_hash_count(const uint32_t *gh)
{
	uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2];
	const uint32_t *buckets = gh + 4 + bloom_size * 2;
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;

	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

static int read_real_vdso(uint64_t base, struct real_vdso *r)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	bool have_load = false;

	memset(r, 0, sizeof(*r));
	r->base = base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			r->load_offset = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		} else if (ph[i].p_type == PT_NOTE) {
			r->notes = (const uint8_t *)(base + ph[i].p_offset);
			r->notes_size = ph[i].p_filesz;
		}
	}
	if (!have_load || !dyn)
		return -EINVAL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uint64_t p = dyn->d_un.d_ptr + r->load_offset;

		switch (dyn->d_tag) {
		case DT_SYMTAB:
			r->symtab = (const Elf64_Sym *)p;
			break;
		case DT_STRTAB:
			r->strtab = (const char *)p;
			break;
		case DT_VERSYM:
			r->versym = (const Elf64_Half *)p;
			break;
		case DT_VERDEF:
			r->verdef = (const Elf64_Verdef *)p;
			break;
		case DT_HASH:
			r->nr_syms = ((const uint32_t *)p)[1];
			break;
		case DT_GNU_HASH:
			if (!r->nr_syms)
				r->nr_syms = gnu_hash_count((const uint32_t *)p);
			break;
		default:
			break;
		}
	}
	if (!r->symtab || !r->strtab || !r->nr_syms)
		return -EINVAL;
	return 0;
}

static int add_verdef(struct vdso_model *m, uint16_t flags, uint16_t ndx, const char *name)
{
	struct vdso_verdef *v;

	if (m->nr_verdefs == VDSO_MAX_VERDEFS)
		return -ENOSPC;
	v = &m->verdefs[m->nr_verdefs++];
	v->flags = flags;
	v->ndx = ndx;
	v->hash = compat_elf_hash(name);
	v->name = add_string(m, name);
	return v->name ? 0 : -ENOSPC;
}

/* The version index of LINUX_2.6 (added if the real vDSO has no such version). */
static uint16_t sgx_version(struct vdso_model *m)
{
	uint16_t max = 1;

	for (unsigned int i = 0; i < m->nr_verdefs; i++) {
		if (!strcmp(m->strtab + m->verdefs[i].name, VDSO_SGX_VERSION))
			return m->verdefs[i].ndx;
		if (m->verdefs[i].ndx > max)
			max = m->verdefs[i].ndx;
	}
	if (!m->nr_verdefs)
		add_verdef(m, VER_FLG_BASE, 1, "linux-vdso.so.1");
	add_verdef(m, 0, (uint16_t)(max + 1), VDSO_SGX_VERSION);
	return (uint16_t)(max + 1);
}

static int build_model(const struct real_vdso *r, struct vdso_model *m)
{
	bool have_sgx = false;
	uint16_t sgx_ver;

	memset(m, 0, sizeof(*m));
	m->strsz = 1;
	if (r->verdef) {
		const Elf64_Verdef *vd = r->verdef;

		for (;;) {
			const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const uint8_t *)vd +
									   vd->vd_aux);

			if (add_verdef(m, vd->vd_flags, vd->vd_ndx, r->strtab + aux->vda_name))
				return -ENOSPC;
			if (!vd->vd_next)
				break;
			vd = (const Elf64_Verdef *)((const uint8_t *)vd + vd->vd_next);
		}
	}
	sgx_ver = sgx_version(m);
	for (uint32_t i = 1; i < r->nr_syms; i++) {
		const Elf64_Sym *s = &r->symtab[i];
		const char *name = r->strtab + s->st_name;
		struct vdso_sym *n;

		if (!s->st_name || s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE ||
		    ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		if (m->nr_syms == VDSO_MAX_SYMS - 1)
			return -ENOSPC;
		n = &m->syms[m->nr_syms++];
		n->name = add_string(m, name);
		n->info = s->st_info;
		n->other = s->st_other;
		n->version = r->versym ? r->versym[i] : 1;
		n->target = r->load_offset + s->st_value;
		if (!strcmp(name, VDSO_SGX_SYMBOL)) {
			/* A kernel with SGX has one: ours replaces it. */
			n->target = (uint64_t)sgxemu_enter_enclave;
			have_sgx = true;
		}
		if (!n->name)
			return -ENOSPC;
	}
	if (!have_sgx) {
		struct vdso_sym *n = &m->syms[m->nr_syms++];

		n->name = add_string(m, VDSO_SGX_SYMBOL);
		n->info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		n->other = STV_DEFAULT;
		n->version = sgx_ver;
		n->target = (uint64_t)sgxemu_enter_enclave;
	}
	add_string(m, "linux-vdso.so.1");
	if (r->notes && r->notes_size <= sizeof(m->notes)) {
		memcpy(m->notes, r->notes, r->notes_size);
		m->notes_size = (uint32_t)r->notes_size;
	}
	return 0;
}

/* --- the image ----------------------------------------------------------------------------- */

enum {
	SEC_NULL,
	SEC_HASH,
	SEC_GNU_HASH,
	SEC_DYNSYM,
	SEC_DYNSTR,
	SEC_VERSYM,
	SEC_VERDEF,
	SEC_NOTE,
	SEC_TEXT,
	SEC_DYNAMIC,
	SEC_SHSTRTAB,
	NR_SECTIONS
};

static const char shstrtab[] = "\0.hash\0.gnu.hash\0.dynsym\0.dynstr\0.gnu.version\0"
			       ".gnu.version_d\0.note\0.text\0.dynamic\0.shstrtab";

static uint32_t shstr(const char *name)
{
	for (uint32_t off = 1; off < sizeof(shstrtab); off += (uint32_t)strlen(shstrtab + off) + 1)
		if (!strcmp(shstrtab + off, name))
			return off;
	return 0;
}

#define NR_PHDRS 4
#define NR_DYN 12
#define GNU_BLOOM_WORDS 1
#define GNU_BLOOM_SHIFT 6

struct layout {
	size_t off[NR_SECTIONS], size[NR_SECTIONS];
	size_t shoff, total;
	uint32_t nbuckets;
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void plan(const struct vdso_model *m, struct layout *l)
{
	size_t at = sizeof(Elf64_Ehdr) + NR_PHDRS * sizeof(Elf64_Phdr);
	uint32_t nsyms = m->nr_syms + 1;

	l->nbuckets = m->nr_syms / 2 + 1;
	l->size[SEC_HASH] = (2 + l->nbuckets + nsyms) * 4;
	l->size[SEC_GNU_HASH] = 16 + GNU_BLOOM_WORDS * 8 + l->nbuckets * 4 + m->nr_syms * 4;
	l->size[SEC_DYNSYM] = nsyms * sizeof(Elf64_Sym);
	l->size[SEC_DYNSTR] = m->strsz;
	l->size[SEC_VERSYM] = nsyms * sizeof(Elf64_Half);
	l->size[SEC_VERDEF] = m->nr_verdefs * (sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux));
	l->size[SEC_NOTE] = m->notes_size;
	/* Trampolines, then their 8-byte slots. */
	l->size[SEC_TEXT] = m->nr_syms * (VDSO_TRAMPOLINE_SIZE + 8);
	l->size[SEC_DYNAMIC] = NR_DYN * sizeof(Elf64_Dyn);
	l->size[SEC_SHSTRTAB] = sizeof(shstrtab);
	for (int s = SEC_HASH; s < NR_SECTIONS; s++) {
		size_t a = s == SEC_TEXT ? 16 : (s == SEC_DYNSTR || s == SEC_SHSTRTAB) ? 1 : 8;

		if (s == SEC_VERSYM)
			a = 2;
		at = align_up(at, a);
		l->off[s] = at;
		at += l->size[s];
	}
	l->shoff = align_up(at, 8);
	l->total = l->shoff + NR_SECTIONS * sizeof(Elf64_Shdr);
}

/* The GNU hash table wants the hashed symbols grouped by bucket: sort them so. */
static void sort_by_bucket(struct vdso_model *m, uint32_t nbuckets)
{
	for (unsigned int i = 0; i < m->nr_syms; i++)
		m->syms[i].gnu_hash = compat_gnu_hash(m->strtab + m->syms[i].name);
	for (unsigned int i = 1; i < m->nr_syms; i++) {
		struct vdso_sym s = m->syms[i];
		unsigned int j = i;

		while (j && m->syms[j - 1].gnu_hash % nbuckets > s.gnu_hash % nbuckets) {
			m->syms[j] = m->syms[j - 1];
			j--;
		}
		m->syms[j] = s;
	}
}

static void write_hash(const struct vdso_model *m, const struct layout *l, uint8_t *img)
{
	uint32_t *h = (uint32_t *)(img + l->off[SEC_HASH]);
	uint32_t nsyms = m->nr_syms + 1, *bucket = h + 2, *chain = h + 2 + l->nbuckets;

	h[0] = l->nbuckets;
	h[1] = nsyms;
	for (uint32_t i = 1; i < nsyms; i++) {
		uint32_t b = compat_elf_hash(m->strtab + m->syms[i - 1].name) % l->nbuckets;

		chain[i] = bucket[b];
		bucket[b] = i;
	}
}

static void write_gnu_hash(const struct vdso_model *m, const struct layout *l, uint8_t *img)
{
	uint32_t *h = (uint32_t *)(img + l->off[SEC_GNU_HASH]);
	uint64_t *bloom = (uint64_t *)(h + 4);
	uint32_t *buckets = (uint32_t *)(bloom + GNU_BLOOM_WORDS);
	uint32_t *chain = buckets + l->nbuckets;

	h[0] = l->nbuckets;
	h[1] = 1; /* symoffset: every symbol after the null one is hashed */
	h[2] = GNU_BLOOM_WORDS;
	h[3] = GNU_BLOOM_SHIFT;
	for (uint32_t i = 0; i < m->nr_syms; i++) {
		uint32_t hash = m->syms[i].gnu_hash, b = hash % l->nbuckets;

		bloom[(hash / 64) % GNU_BLOOM_WORDS] |=
			(1ULL << (hash % 64)) | (1ULL << ((hash >> GNU_BLOOM_SHIFT) % 64));
		if (!buckets[b])
			buckets[b] = i + 1;
		/* The last symbol of a bucket's run has bit 0 set. */
		chain[i] = (hash & ~1U) |
			   (i + 1 == m->nr_syms || m->syms[i + 1].gnu_hash % l->nbuckets != b);
	}
}

static void write_image(const struct vdso_model *m, const struct layout *l, uint8_t *img)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	Elf64_Sym *sym = (Elf64_Sym *)(img + l->off[SEC_DYNSYM]);
	Elf64_Half *versym = (Elf64_Half *)(img + l->off[SEC_VERSYM]);
	Elf64_Dyn *dyn = (Elf64_Dyn *)(img + l->off[SEC_DYNAMIC]);
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + l->shoff);
	uint8_t *text = img + l->off[SEC_TEXT];
	uint64_t *slots = (uint64_t *)(text + m->nr_syms * VDSO_TRAMPOLINE_SIZE);
	unsigned int nd = 0;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = l->shoff;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = NR_PHDRS;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = NR_SECTIONS;
	eh->e_shstrndx = SEC_SHSTRTAB;

	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			      .p_vaddr = 0, .p_paddr = 0, .p_filesz = l->total,
			      .p_memsz = l->total, .p_align = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R, .p_offset = l->off[SEC_DYNAMIC],
			      .p_vaddr = l->off[SEC_DYNAMIC], .p_paddr = l->off[SEC_DYNAMIC],
			      .p_filesz = l->size[SEC_DYNAMIC], .p_memsz = l->size[SEC_DYNAMIC],
			      .p_align = 8 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = l->off[SEC_NOTE],
			      .p_vaddr = l->off[SEC_NOTE], .p_paddr = l->off[SEC_NOTE],
			      .p_filesz = l->size[SEC_NOTE], .p_memsz = l->size[SEC_NOTE],
			      .p_align = 4 };
	ph[3] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16 };

	/* Symbols: each FUNC points at its trampoline in .text. */
	for (unsigned int i = 0; i < m->nr_syms; i++) {
		const struct vdso_sym *s = &m->syms[i];
		uint64_t tramp = l->off[SEC_TEXT] + i * VDSO_TRAMPOLINE_SIZE;
		uint8_t *code = text + i * VDSO_TRAMPOLINE_SIZE;
		int32_t rel = (int32_t)((uint64_t)&slots[i] - ((uint64_t)code + 6));

		sym[i + 1] = (Elf64_Sym){ .st_name = s->name, .st_info = s->info,
					  .st_other = s->other, .st_shndx = SEC_TEXT,
					  .st_value = tramp, .st_size = VDSO_TRAMPOLINE_SIZE };
		versym[i + 1] = s->version;
		/* jmp *slot(%rip); int3; int3 */
		code[0] = 0xff;
		code[1] = 0x25;
		memcpy(code + 2, &rel, 4);
		code[6] = 0xcc;
		code[7] = 0xcc;
		slots[i] = s->target;
	}
	versym[0] = 0;
	write_hash(m, l, img);
	write_gnu_hash(m, l, img);
	memcpy(img + l->off[SEC_DYNSTR], m->strtab, m->strsz);
	memcpy(img + l->off[SEC_NOTE], m->notes, m->notes_size);

	for (unsigned int i = 0; i < m->nr_verdefs; i++) {
		Elf64_Verdef *vd = (Elf64_Verdef *)(img + l->off[SEC_VERDEF] +
						    i * (sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux)));
		Elf64_Verdaux *aux = (Elf64_Verdaux *)(vd + 1);

		vd->vd_version = VER_DEF_CURRENT;
		vd->vd_flags = m->verdefs[i].flags;
		vd->vd_ndx = m->verdefs[i].ndx;
		vd->vd_cnt = 1;
		vd->vd_hash = m->verdefs[i].hash;
		vd->vd_aux = sizeof(*vd);
		vd->vd_next = i + 1 < m->nr_verdefs ? sizeof(*vd) + sizeof(*aux) : 0;
		aux->vda_name = m->verdefs[i].name;
		aux->vda_next = 0;
	}

	dyn[nd++] = (Elf64_Dyn){ DT_SONAME, { add_string((struct vdso_model *)m, "linux-vdso.so.1") } };
	dyn[nd++] = (Elf64_Dyn){ DT_HASH, { l->off[SEC_HASH] } };
	dyn[nd++] = (Elf64_Dyn){ DT_GNU_HASH, { l->off[SEC_GNU_HASH] } };
	dyn[nd++] = (Elf64_Dyn){ DT_STRTAB, { l->off[SEC_DYNSTR] } };
	dyn[nd++] = (Elf64_Dyn){ DT_SYMTAB, { l->off[SEC_DYNSYM] } };
	dyn[nd++] = (Elf64_Dyn){ DT_STRSZ, { m->strsz } };
	dyn[nd++] = (Elf64_Dyn){ DT_SYMENT, { sizeof(Elf64_Sym) } };
	dyn[nd++] = (Elf64_Dyn){ DT_VERSYM, { l->off[SEC_VERSYM] } };
	dyn[nd++] = (Elf64_Dyn){ DT_VERDEF, { l->off[SEC_VERDEF] } };
	dyn[nd++] = (Elf64_Dyn){ DT_VERDEFNUM, { m->nr_verdefs } };
	dyn[nd++] = (Elf64_Dyn){ DT_FLAGS, { 0 } };
	dyn[nd++] = (Elf64_Dyn){ DT_NULL, { 0 } };

	memcpy(img + l->off[SEC_SHSTRTAB], shstrtab, sizeof(shstrtab));
	{
		static const uint32_t type[NR_SECTIONS] = {
			SHT_NULL,   SHT_HASH,	     SHT_GNU_HASH, SHT_DYNSYM,	SHT_STRTAB, SHT_GNU_versym,
			SHT_GNU_verdef, SHT_NOTE, SHT_PROGBITS, SHT_DYNAMIC, SHT_STRTAB,
		};
		static const char *const name[NR_SECTIONS] = {
			"",	       ".hash", ".gnu.hash", ".dynsym", ".dynstr",   ".gnu.version",
			".gnu.version_d", ".note", ".text",	".dynamic", ".shstrtab",
		};

		for (int s = 1; s < NR_SECTIONS; s++) {
			sh[s].sh_name = shstr(name[s]);
			sh[s].sh_type = type[s];
			sh[s].sh_flags = s == SEC_SHSTRTAB ? 0 : SHF_ALLOC;
			sh[s].sh_addr = s == SEC_SHSTRTAB ? 0 : l->off[s];
			sh[s].sh_offset = l->off[s];
			sh[s].sh_size = l->size[s];
			sh[s].sh_addralign = s == SEC_TEXT ? 16 : 8;
		}
		sh[SEC_TEXT].sh_flags |= SHF_EXECINSTR;
		sh[SEC_DYNSTR].sh_addralign = sh[SEC_SHSTRTAB].sh_addralign = 1;
		sh[SEC_VERSYM].sh_addralign = 2;
		sh[SEC_NOTE].sh_addralign = 4;
		sh[SEC_HASH].sh_link = sh[SEC_GNU_HASH].sh_link = SEC_DYNSYM;
		sh[SEC_VERSYM].sh_link = SEC_DYNSYM;
		sh[SEC_DYNSYM].sh_link = SEC_DYNSTR;
		sh[SEC_DYNSYM].sh_info = 1;
		sh[SEC_DYNSYM].sh_entsize = sizeof(Elf64_Sym);
		sh[SEC_HASH].sh_entsize = 4;
		sh[SEC_VERSYM].sh_entsize = 2;
		sh[SEC_VERDEF].sh_link = SEC_DYNSTR;
		sh[SEC_VERDEF].sh_info = m->nr_verdefs;
		sh[SEC_DYNAMIC].sh_link = SEC_DYNSTR;
		sh[SEC_DYNAMIC].sh_entsize = sizeof(Elf64_Dyn);
		sh[SEC_DYNAMIC].sh_flags |= SHF_WRITE;
	}
}

static void vdso_build(void)
{
	struct vdso_model *m = calloc(1, sizeof(*m));
	struct real_vdso real;
	struct layout l;
	uint8_t *img;
	int ret;

	if (!m)
		return;
	vdso.real = compat_real_auxval(AT_SYSINFO_EHDR);
	if (!vdso.real) {
		/* No vDSO at all (vdso=0): a minimal one with only the SGX entry. */
		memset(&real, 0, sizeof(real));
		memset(m, 0, sizeof(*m));
		m->strsz = 1;
		ret = 0;
		add_verdef(m, VER_FLG_BASE, 1, "linux-vdso.so.1");
		{
			uint16_t v = sgx_version(m);
			struct vdso_sym *n = &m->syms[m->nr_syms++];

			n->name = add_string(m, VDSO_SGX_SYMBOL);
			n->info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
			n->version = v;
			n->target = (uint64_t)sgxemu_enter_enclave;
		}
		add_string(m, "linux-vdso.so.1");
	} else {
		ret = read_real_vdso(vdso.real, &real);
		if (!ret)
			ret = build_model(&real, m);
	}
	if (ret) {
		pr_warn("compat: cannot read the kernel's vDSO (%d); programs see the real one, "
			"without __vdso_sgx_enter_enclave", ret);
		free(m);
		return;
	}
	plan(m, &l);
	sort_by_bucket(m, l.nbuckets);
	img = sgx_sys_mmap(NULL, align_up(l.total, 4096), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img == MAP_FAILED) {
		free(m);
		return;
	}
	write_image(m, &l, img);
	sgx_sys_mprotect(img, align_up(l.total, 4096), PROT_READ | PROT_EXEC);
	vdso.size = l.total;
	__atomic_store_n(&vdso.image, img, __ATOMIC_RELEASE);
	free(m);
}

uint64_t compat_vdso_image(size_t *size)
{
	pthread_once(&vdso.once, vdso_build);
	if (size)
		*size = vdso.size;
	return (uint64_t)__atomic_load_n(&vdso.image, __ATOMIC_ACQUIRE);
}

int compat_vdso_memfd(void)
{
	int fd;

	if (!compat_vdso_image(NULL))
		return -1;
	pthread_mutex_lock(&vdso.memfd_lock);
	if (vdso.memfd < 0) {
		fd = memfd_create("linux-vdso.so.1", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, vdso.image, vdso.size) != (ssize_t)vdso.size) {
			sgx_sys_close(fd);
			fd = -1;
		}
		vdso.memfd = fd;
	}
	fd = vdso.memfd;
	pthread_mutex_unlock(&vdso.memfd_lock);
	return fd;
}
