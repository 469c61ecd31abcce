/* SPDX-License-Identifier: MIT */
/*
 * uint64_t te_spin_vector(uint64_t seed, uint64_t iterations, uint64_t stop_addr, uint64_t *done)
 *
 * te_spin_step() in general registers with a running sum of the states kept only in XMM0, so a
 * runtime that loses or corrupts vector state across an AEX/ERESUME changes the result. Stops
 * early, at multiples of 1024 steps, once the 8 bytes at stop_addr (if not 0) are non-zero.
 * Returns state XOR sum (te_spin_vector_checksum in test_enclave_abi.h).
 */
	.text
	.globl te_spin_vector
	.type te_spin_vector, @function
	.balign 16
te_spin_vector:
	mov	%rcx, %r11				/* done */
	mov	%rdi, %rax				/* x */
	xor	%r8d, %r8d				/* i */
	pxor	%xmm0, %xmm0				/* sum */
	movabs	$6364136223846793005, %r9
	movabs	$1442695040888963407, %r10
.Lloop:
	cmp	%rsi, %r8
	jae	.Lend
	imul	%r9, %rax
	add	%r10, %rax
	mov	%rax, %rcx
	shr	$29, %rcx
	xor	%rcx, %rax
	xor	%r8, %rax
	movq	%rax, %xmm1
	paddq	%xmm1, %xmm0
	inc	%r8
	test	$1023, %r8
	jnz	.Lloop
	test	%rdx, %rdx
	jz	.Lloop
	cmpq	$0, (%rdx)
	je	.Lloop
.Lend:
	mov	%r8, (%r11)
	movq	%xmm0, %rcx
	xor	%rcx, %rax
	ret
	.size te_spin_vector, . - te_spin_vector

	.section .note.GNU-stack, "", @progbits
