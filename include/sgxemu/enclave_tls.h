/* SPDX-License-Identifier: MIT */
/*
 * The per-thread TLS page that `sgxemu pack` writes into an enclave image, one per TCS. The TCS's
 * OFSBASE and OGSBASE both point at it, so enclave entry code finds it at %fs:0 or %gs:0 before it
 * has a stack (ref/sgx-isa.md §8.1: EENTER loads the FS/GS bases from the TCS).
 *
 * The page is measured, so it must not depend on where the enclave is loaded: every address in it
 * is an offset from the enclave base (BASEADDR). Entry code adds its own base, which it finds
 * RIP-relatively (the image is linked at 0, so the ELF header's address is the base).
 *
 * The first SGXEMU_TLS_HEADER_SIZE bytes are this header; the rest of the page is zero in the image
 * and belongs to the enclave's runtime (per-thread scratch). Loaders may read the header from the
 * image (the TCS's OFSBASE leads to it) to learn the layout; they recognise it by the magic.
 *
 * This header is shared by the packer, the loader and freestanding enclave code: it uses nothing
 * but <stdint.h>.
 */
#ifndef SGXEMU_ENCLAVE_TLS_H
#define SGXEMU_ENCLAVE_TLS_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define SGXEMU_TLS_MAGIC 0x534c54554d455853ULL /* "SXEMUTLS" */
#define SGXEMU_TLS_VERSION 1
#define SGXEMU_TLS_HEADER_SIZE 256

/* Byte offsets, for assembly entry code. */
#define SGXEMU_TLS_OFF_NSSA 20
#define SGXEMU_TLS_OFF_SSA_FRAME_SIZE 24
#define SGXEMU_TLS_OFF_SELF 32
#define SGXEMU_TLS_OFF_TCS 40
#define SGXEMU_TLS_OFF_SSA 48
#define SGXEMU_TLS_OFF_STACK_TOP 56
#define SGXEMU_TLS_OFF_STACK_BOTTOM 64

#ifndef __ASSEMBLER__
struct sgxemu_tls {
	uint64_t magic;	       /* SGXEMU_TLS_MAGIC */
	uint32_t version;      /* SGXEMU_TLS_VERSION */
	uint32_t thread_index; /* 0 .. nr_threads-1, in address order */
	uint32_t nr_threads;
	uint32_t nssa;		 /* this thread's TCS.NSSA */
	uint32_t ssa_frame_size; /* SECS.SSAFRAMESIZE, pages */
	uint32_t reserved0;
	uint64_t self;	       /* offset of this page */
	uint64_t tcs;	       /* offset of this thread's TCS */
	uint64_t ssa;	       /* offset of SSA frame 0 (TCS.OSSA) */
	uint64_t stack_top;    /* offset one past the highest stack byte (the initial RSP) */
	uint64_t stack_bottom; /* offset of the lowest stack byte; a guard gap lies below */
	uint64_t heap;	       /* offset of the heap (zero pages, not measured) */
	uint64_t heap_size;    /* bytes */
	uint64_t image_end; /* offset of the first byte after the image: free ELRANGE starts here */
	uint64_t enclave_size; /* SECS.SIZE: ELRANGE is [base, base + enclave_size) */
	uint8_t reserved[SGXEMU_TLS_HEADER_SIZE - 104];
};

_Static_assert(sizeof(struct sgxemu_tls) == SGXEMU_TLS_HEADER_SIZE, "TLS header size");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, nssa) == SGXEMU_TLS_OFF_NSSA, "nssa");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, ssa_frame_size) ==
		       SGXEMU_TLS_OFF_SSA_FRAME_SIZE,
	       "ssa_frame_size");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, self) == SGXEMU_TLS_OFF_SELF, "self");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, tcs) == SGXEMU_TLS_OFF_TCS, "tcs");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, ssa) == SGXEMU_TLS_OFF_SSA, "ssa");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, stack_top) == SGXEMU_TLS_OFF_STACK_TOP,
	       "stack_top");
_Static_assert(__builtin_offsetof(struct sgxemu_tls, stack_bottom) == SGXEMU_TLS_OFF_STACK_BOTTOM,
	       "stack_bottom");

#endif /* !__ASSEMBLER__ */

#endif /* SGXEMU_ENCLAVE_TLS_H */
