/* SPDX-License-Identifier: MIT */
/*
 * The packer: turns an enclave ELF (a static PIE linked at 0) into an SGXS stream (ref/sgxs.md),
 * which `sgxemu sign` then signs into the .sig beside it. This is `sgxemu pack` as a library.
 *
 * Layout, in address order (offsets from the enclave base; every region page aligned):
 *
 *   ELF image   each PT_LOAD segment page-rounded at its p_vaddr, REG pages with the segment's
 *               R/W/X, fully measured (bytes outside [p_vaddr, p_vaddr + p_filesz) are zero)
 *   heap        heap_size bytes of REG RW zero pages, added but not measured
 *   per thread  guard gap (no pages), stack (REG RW, not measured), TLS page (REG RW, measured:
 *               struct sgxemu_tls, include/sgxemu/enclave_tls.h), TCS (measured), then
 *               NSSA x SSAFRAMESIZE SSA pages (REG RW, not measured)
 *   free        from the image end to SIZE: no pages, for SGX2 (EAUG) growth
 *
 * SIZE is the next power of two >= image end + reserve_size (at least 8 KiB). Each TCS has
 * OSSA = its first SSA page, NSSA, OENTRY = the entry point, OFSBASE = OGSBASE = its TLS page,
 * FSLIMIT = GSLIMIT = 0xFFF, FLAGS = 0. SSAFRAMESIZE is the smallest number of pages holding the
 * XSAVE area of the XFRM the enclave will be signed with, plus EXINFO and GPRSGX.
 *
 * The ELF must be x86-64, ET_DYN, without PT_INTERP, PT_TLS, DT_NEEDED, PLT or text relocations;
 * its only dynamic relocations are R_X86_64_RELATIVE in RELA form (the enclave applies them
 * itself at its first entry). Anything else is refused with a one-line reason.
 */
#ifndef SGXEMU_PACK_H
#define SGXEMU_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sgxemu_pack_options {
	unsigned int threads;	 /* TCSs, >= 1 */
	uint64_t stack_size;	 /* bytes per thread, page multiple, >= 1 page */
	uint64_t guard_size;	 /* unmapped bytes below each stack, page multiple */
	uint64_t heap_size;	 /* page multiple, may be 0 */
	uint64_t reserve_size;	 /* free ELRANGE wanted beyond the image, page multiple */
	uint32_t nssa;		 /* SSA frames per TCS, >= 2 (so a second-phase handler can run) */
	uint32_t ssa_frame_size; /* pages; 0 = computed from xfrm with this CPU's CPUID leaf 0xD */
	uint64_t xfrm;		 /* the XFRM the enclave will be signed with */
	const char *entry;	 /* entry symbol (from .symtab); NULL = the ELF's e_entry */
};

/* threads 1, stack 64 KiB, guard 64 KiB, heap 1 MiB, reserve 0, NSSA 2, XFRM 3 (x87|SSE). */
void sgxemu_pack_options_default(struct sgxemu_pack_options *opts);

struct sgxemu_pack_thread {
	uint64_t guard; /* lowest byte of the guard gap */
	uint64_t stack; /* lowest stack byte; the stack top is tls */
	uint64_t tls;
	uint64_t tcs;
	uint64_t ssa; /* SSA frame 0 */
};

#define SGXEMU_PACK_MAX_THREADS 4096
#define SGXEMU_PACK_MAX_SEGMENTS 16

struct sgxemu_pack_segment {
	uint64_t offset; /* page-rounded start */
	uint64_t size;	 /* page-rounded size */
	uint64_t secinfo_flags;
};

/* Where everything went (all offsets from the enclave base). */
struct sgxemu_pack_layout {
	uint64_t size;		 /* SECS.SIZE */
	uint32_t ssa_frame_size; /* SECS.SSAFRAMESIZE */
	uint32_t nssa;
	uint64_t entry;	  /* TCS.OENTRY */
	uint64_t elf_end; /* end of the last segment's last page */
	uint64_t heap, heap_size;
	uint64_t image_end;	 /* the free range is [image_end, size) */
	uint64_t relocations;	 /* R_X86_64_RELATIVE entries the enclave will apply */
	uint64_t pages;		 /* pages added */
	uint64_t measured_pages; /* of which fully measured */
	unsigned int nr_segments;
	struct sgxemu_pack_segment segments[SGXEMU_PACK_MAX_SEGMENTS];
	unsigned int nr_threads;
	struct sgxemu_pack_thread *threads; /* nr_threads entries; sgxemu_pack_layout_free */
	uint8_t mrenclave[32];
};

/*
 * Packs the ELF image elf[0..len) and writes the SGXS stream to out (which stays open). Fills
 * *layout if not NULL (free it with sgxemu_pack_layout_free). Returns 0, or -1 with a one-line
 * reason in err; out may then hold a partial stream, which the caller discards.
 */
int sgxemu_pack_elf_mem(const void *elf, size_t len, const struct sgxemu_pack_options *opts,
			FILE *out, struct sgxemu_pack_layout *layout, char *err, size_t errlen);

/* The same for a file; errors name the file. */
int sgxemu_pack_elf_file(const char *path, const struct sgxemu_pack_options *opts, FILE *out,
			 struct sgxemu_pack_layout *layout, char *err, size_t errlen);

void sgxemu_pack_layout_free(struct sgxemu_pack_layout *layout);

/*
 * Pages per SSA frame for XFRM: the standard-format XSAVE size of the XFRM components (CPUID leaf
 * 0xD of this CPU), plus EXINFO (16) and GPRSGX (184), rounded up to pages. -1 with a reason if
 * XFRM lacks x87 or SSE, or names a component this CPU does not describe.
 */
int sgxemu_pack_ssa_frame_size(uint64_t xfrm, uint32_t *pages, char *err, size_t errlen);

/* XCR0 of this host (the XFRM an enclave signed "for this machine" would use); 3 without XSAVE. */
uint64_t sgxemu_host_xcr0(void);

#endif /* SGXEMU_PACK_H */
