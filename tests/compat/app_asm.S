/* SPDX-License-Identifier: MIT */
/*
 * Assembly for the compat test programs (no sgxemu code: what an SGX application would carry).
 *
 * int app_vdso_call(rdi, rsi, rdx, function, r8, r9, run, fn): calls a function with the
 * __vdso_sgx_enter_enclave contract from C, saving the callee-saved registers around it (the
 * contract saves only RBX and RBP; after an AEX the CPU hands back synthetic registers), as the
 * kernel's selftests do.
 *
 * uint64_t app_raw_eenter(tcs, op, args): EENTER with a bare ENCLU whose AEP is the ENCLU itself
 * (the Intel urts pattern); returns RDI at EEXIT.
 */
	.text
	.globl app_vdso_call
	.type app_vdso_call, @function
app_vdso_call:
	.cfi_startproc
	push %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	pushq 16(%rbp) /* run, the 7th argument; the stack is 16-byte aligned at the call */
	call *24(%rbp)
	lea -40(%rbp), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size app_vdso_call, . - app_vdso_call

	.globl app_raw_eenter
	.type app_raw_eenter, @function
app_raw_eenter:
	.cfi_startproc
	push %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	mov %rdi, %rbx
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov $2, %eax
	lea app_raw_aep(%rip), %rcx
	.globl app_raw_aep
app_raw_aep:
	.byte 0x0f, 0x01, 0xd7
	mov %rdi, %rax
	lea -40(%rbp), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size app_raw_eenter, . - app_raw_eenter

	.section .note.GNU-stack, "", @progbits
