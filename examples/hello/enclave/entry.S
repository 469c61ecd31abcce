/* SPDX-License-Identifier: MIT */
/*
 * The example enclave's entry point (TCS.OENTRY). EENTER arrives with RAX = CSSA, RBX = TCS,
 * RCX = the address after the host's ENCLU, RDI = operation, RSI = argument block, and
 * FS.base = GS.base = this thread's TLS page (include/sgxemu/enclave_tls.h). RSP and RBP are the
 * host's: nothing is stored through them; the enclave stack's top comes from the TLS page.
 *
 * This enclave handles no exceptions: an entry with CSSA > 0 (the second phase after an
 * exception) exits at once with HELLO_ERR_EXCEPTION.
 *
 * Before EEXIT the vector registers the AES code used are cleared, so no key material leaves the
 * enclave in them; R12-R15 are preserved by the C code (callee-saved), the other scratch
 * registers are cleared, RAX holds EEXIT's leaf number and RDI the status.
 */
#include <sgxemu/enclave_tls.h>

#define EEXIT 4
#define HELLO_ERR_EXCEPTION 7
#define RFLAGS_DF (1 << 10)
#define RFLAGS_AC (1 << 18)

	.section .text.entry, "ax", @progbits
	.globl hello_entry
	.type hello_entry, @function
	.balign 16
hello_entry:
	.cfi_startproc
	.cfi_undefined rip	/* the outermost frame of the enclave: nothing to unwind into */
	test	%rax, %rax
	jnz	.Lexception

	lea	__ehdr_start(%rip), %r11		/* the enclave base (image linked at 0) */
	mov	%rsp, %r10				/* the host's RSP */
	mov	%gs:SGXEMU_TLS_OFF_STACK_TOP, %rsp
	add	%r11, %rsp
	push	%r10					/* 24(%rsp): host RSP */
	push	%rbp					/* 16(%rsp): host RBP */
	push	%rcx					/*  8(%rsp): where EEXIT returns */
	push	%rbx					/*  0(%rsp): TCS; RSP is 16-aligned */
	/* The SysV ABI wants DF = 0; AC = 1 would make unaligned accesses fault. */
	pushfq
	andq	$~(RFLAGS_DF | RFLAGS_AC), (%rsp)
	popfq
	xor	%ebp, %ebp
	call	hello_ecall				/* (op = RDI, args = RSI) -> status */

	mov	%rax, %rdi
	mov	8(%rsp), %rbx
	mov	16(%rsp), %rbp
	mov	24(%rsp), %rsp

.Lexit:
	pxor	%xmm0, %xmm0
	pxor	%xmm1, %xmm1
	pxor	%xmm2, %xmm2
	pxor	%xmm3, %xmm3
	pxor	%xmm4, %xmm4
	pxor	%xmm5, %xmm5
	pxor	%xmm6, %xmm6
	pxor	%xmm7, %xmm7
	pxor	%xmm8, %xmm8
	pxor	%xmm9, %xmm9
	pxor	%xmm10, %xmm10
	pxor	%xmm11, %xmm11
	pxor	%xmm12, %xmm12
	pxor	%xmm13, %xmm13
	pxor	%xmm14, %xmm14
	pxor	%xmm15, %xmm15
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	mov	$EEXIT, %eax
	enclu						/* to RBX; never returns */
	ud2

.Lexception:
	/* Never switched stacks: RSP and RBP are still the host's. */
	mov	%rcx, %rbx
	mov	$HELLO_ERR_EXCEPTION, %edi
	jmp	.Lexit
	.cfi_endproc
	.size hello_entry, . - hello_entry

	.section .note.GNU-stack, "", @progbits
