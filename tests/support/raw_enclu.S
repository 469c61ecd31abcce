/* SPDX-License-Identifier: MIT */
/*
 * uint64_t raw_eenter(uint64_t tcs, uint64_t op, void *args)
 *
 * Enters the test enclave with a bare ENCLU, the way runtimes that do not use the vDSO do (the
 * Intel urts, Gramine): RBX = TCS, RCX = AEP = the ENCLU itself, so that after an AEX the same
 * instruction runs again with RAX = ERESUME once the application's signal handler returns.
 * Returns RDI at EEXIT (the enclave's status).
 */
	.text
	.globl raw_eenter
	.type raw_eenter, @function
raw_eenter:
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
	sub $8, %rsp
	mov %rdi, %rbx
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov $2, %eax
	lea raw_aep(%rip), %rcx
	.globl raw_aep
raw_aep:
	.byte 0x0f, 0x01, 0xd7
	mov %rdi, %rax
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
	.size raw_eenter, . - raw_eenter

	.section .note.GNU-stack, "", @progbits
