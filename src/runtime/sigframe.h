/* SPDX-License-Identifier: MIT */
/*
 * The parts of the kernel's x86-64 signal frame the runtime reads: the software-reserved bytes
 * of the FXSAVE area that describe the XSAVE image (<asm/sigcontext.h> cannot be included beside
 * glibc's <signal.h>, whose definitions clash, so the layout is restated here).
 */
#ifndef SGXEMU_RUNTIME_SIGFRAME_H
#define SGXEMU_RUNTIME_SIGFRAME_H

#include <stdint.h>
#include <ucontext.h>

#define SGX_FP_XSTATE_MAGIC1 0x46505853U
#define SGX_FP_XSTATE_MAGIC2 0x46505845U /* after the XSAVE image, at fpstate + xstate_size */
#define SGX_FP_XSTATE_MAGIC2_SIZE 4
#define SGX_FXSAVE_SW_BYTES_OFFSET 464

/* uc_flags of the kernel's frames: an XSAVE image is present; sigcontext's SS slot is valid. */
#define SGX_UC_FP_XSTATE 0x1
#define SGX_UC_SIGCONTEXT_SS 0x2

struct sgx_fpx_sw_bytes {
	uint32_t magic1;	/* SGX_FP_XSTATE_MAGIC1 if an XSAVE image follows the legacy area */
	uint32_t extended_size; /* the whole image including the trailing magic2 */
	uint64_t xfeatures;	/* the components present (the host's XCR0 at the time) */
	uint32_t xstate_size;	/* the XSAVE image proper */
	uint32_t padding[7];
};

static inline const struct sgx_fpx_sw_bytes *sgx_uc_fp_sw_bytes(const ucontext_t *uc)
{
	if (!uc->uc_mcontext.fpregs)
		return NULL;
	return (const struct sgx_fpx_sw_bytes *)((const uint8_t *)uc->uc_mcontext.fpregs +
						  SGX_FXSAVE_SW_BYTES_OFFSET);
}

#endif /* SGXEMU_RUNTIME_SIGFRAME_H */
