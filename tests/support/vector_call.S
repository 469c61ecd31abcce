/* SPDX-License-Identifier: MIT */
/*
 * void rfix_vdso_call_vectors(struct rfix_vector_call *c)
 *
 * A vDSO-contract call with known extended state around it: YMM2-YMM5 and MXCSR are loaded from
 * c->ymm_in / c->mxcsr_in just before the call and stored to c->ymm_out / c->mxcsr_out just after,
 * with nothing in between that could touch them (C could not promise that). The enclave leaves
 * vector registers alone, so what comes back is what sgxemu carried through the entry and the exit.
 * Layout of struct rfix_vector_call: see runtime_fixture.h (offsets asserted there).
 */
#define C_RDI 0
#define C_RSI 8
#define C_FUNCTION 16
#define C_RUN 24
#define C_FN 32
#define C_RET 40
#define C_MXCSR_IN 44
#define C_MXCSR_OUT 48
#define C_YMM_IN 64
#define C_YMM_OUT 192

	.text
	.globl rfix_vdso_call_vectors
	.type rfix_vdso_call_vectors, @function
rfix_vdso_call_vectors:
	.cfi_startproc
	push %rbp
	.cfi_adjust_cfa_offset 8
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi			/* c, at -48(%rbp): RBP survives the call, R8-R15 need not */

	vmovdqu (C_YMM_IN + 0)(%rdi), %ymm2
	vmovdqu (C_YMM_IN + 32)(%rdi), %ymm3
	vmovdqu (C_YMM_IN + 64)(%rdi), %ymm4
	vmovdqu (C_YMM_IN + 96)(%rdi), %ymm5
	ldmxcsr C_MXCSR_IN(%rdi)

	mov C_FN(%rdi), %rax
	pushq C_RUN(%rdi)		/* run: the 7th argument, on a 16-byte aligned stack */
	mov C_FUNCTION(%rdi), %ecx
	mov C_RSI(%rdi), %rsi
	xor %edx, %edx
	xor %r8d, %r8d
	xor %r9d, %r9d
	mov C_RDI(%rdi), %rdi
	call *%rax
	add $8, %rsp

	mov -48(%rbp), %rdi
	mov %eax, C_RET(%rdi)
	stmxcsr C_MXCSR_OUT(%rdi)
	vmovdqu %ymm2, (C_YMM_OUT + 0)(%rdi)
	vmovdqu %ymm3, (C_YMM_OUT + 32)(%rdi)
	vmovdqu %ymm4, (C_YMM_OUT + 64)(%rdi)
	vmovdqu %ymm5, (C_YMM_OUT + 96)(%rdi)
	vzeroupper

	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size rfix_vdso_call_vectors, . - rfix_vdso_call_vectors

	.section .note.GNU-stack, "", @progbits
