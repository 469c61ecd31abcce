/* SPDX-License-Identifier: MIT */
/*
 * int rfix_vdso_call(rdi, rsi, rdx, function, r8, r9, run, fn)
 *
 * Calls a function with the __vdso_sgx_enter_enclave contract from C. That contract saves only
 * RBX and RBP: after an AEX the CPU hands back synthetic registers (R8-R15 zeroed), so the
 * callee-saved registers the C ABI promises are not preserved across an exception. Like the
 * kernel's selftests, we save them around the call.
 */
	.text
	.globl rfix_vdso_call
	.type rfix_vdso_call, @function
rfix_vdso_call:
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
	/* run (7th argument) at 16(%rbp), fn (8th) at 24(%rbp); pass run on our stack, aligned. */
	sub $8, %rsp
	pushq 16(%rbp)
	call *24(%rbp)
	add $16, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size rfix_vdso_call, . - rfix_vdso_call

	.section .note.GNU-stack, "", @progbits
