/* SPDX-License-Identifier: MIT */
/*
 * int hello_enter_enclave(rdi, rsi, rdx, function, r8, r9, run)
 *
 * sgxemu_enter_enclave (the kernel's __vdso_sgx_enter_enclave contract) saves only RBX and RBP:
 * after an exception the CPU hands back synthetic registers, so R12-R15, which C callers expect
 * to survive a call, may not. Like the kernel's SGX selftests, save them around the call.
 */
	.text
	.globl hello_enter_enclave
	.type hello_enter_enclave, @function
hello_enter_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp				/* 16-byte alignment at the call */
	pushq	16(%rbp)				/* run, the 7th argument */
	call	sgxemu_enter_enclave@PLT
	add	$16, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size hello_enter_enclave, . - hello_enter_enclave

	.section .note.GNU-stack, "", @progbits
