/* SPDX-License-Identifier: MIT */
/*
 * Fault sites for TE_OP_FAULT and the nested-handler case. Each site is one instruction with a
 * fixup entry (section te_fixup: the site, where TE_ACTION_SKIP resumes, and the kind of entry),
 * so the handler moves RIP the way a real runtime's exception tables do, without decoding.
 *
 * uint64_t te_fault_trigger(uint64_t kind, uint64_t addr, uint64_t seed)
 *   loads the register pattern of test_enclave_abi.h (GPR i = seed + i, RAX = addr, XMM0 = seed),
 *   executes the site and returns RAX as it is after the site.
 */
#define TE_FIXUP_FAULT 0
#define TE_FIXUP_TRAP 1
#define TE_FIXUP_CALL 2

	.macro FIXUP fault, resume, type
	.pushsection te_fixup, "a", @progbits
	.balign 4
	.long	(\fault - .)
	.long	(\resume - .)
	.long	\type
	.popsection
	.endm

	/* seed in %rdx on entry to the macro; RAX untouched */
	.macro LOAD_PATTERN
	mov	%rdx, %r15
	movq	%r15, %xmm0
	lea	1(%r15), %rcx
	lea	2(%r15), %rdx
	lea	3(%r15), %rbx
	lea	5(%r15), %rbp
	lea	6(%r15), %rsi
	lea	7(%r15), %rdi
	lea	8(%r15), %r8
	lea	9(%r15), %r9
	lea	10(%r15), %r10
	lea	11(%r15), %r11
	lea	12(%r15), %r12
	lea	13(%r15), %r13
	lea	14(%r15), %r14
	add	$15, %r15
	.endm

	.macro SITE name, type, insn:vararg
	.globl te_site_\name
	.globl te_resume_\name
te_site_\name:
	\insn
te_resume_\name:
	FIXUP te_site_\name, te_resume_\name, \type
	jmp	.Lout
	.endm

	.text
	.globl te_fault_trigger
	.type te_fault_trigger, @function
	.balign 16
te_fault_trigger:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsi, %rax
	cmp	$1, %rdi
	je	.Lud2
	cmp	$2, %rdi
	je	.Lint3
	cmp	$3, %rdi
	je	.Ldiv0
	cmp	$4, %rdi
	je	.Lsyscall
	cmp	$5, %rdi
	je	.Lcpuid
	cmp	$6, %rdi
	je	.Lwrite
	cmp	$7, %rdi
	je	.Lread
	cmp	$8, %rdi
	je	.Lgp
	cmp	$9, %rdi
	je	.Lexec
	xor	%eax, %eax
	jmp	.Lout

.Lud2:
	xor	%eax, %eax
	LOAD_PATTERN
	SITE ud2, TE_FIXUP_FAULT, ud2
.Lint3:
	xor	%eax, %eax
	LOAD_PATTERN
	SITE int3, TE_FIXUP_TRAP, int3
.Ldiv0:
	xor	%eax, %eax
	LOAD_PATTERN
	SITE div0, TE_FIXUP_FAULT, divq te_zero(%rip)
.Lsyscall:
	mov	$39, %eax
	LOAD_PATTERN
	SITE syscall, TE_FIXUP_FAULT, syscall
.Lcpuid:
	xor	%eax, %eax
	LOAD_PATTERN
	SITE cpuid, TE_FIXUP_FAULT, cpuid
.Lwrite:
	LOAD_PATTERN
	SITE write, TE_FIXUP_FAULT, movq %rdx, (%rax)
.Lread:
	LOAD_PATTERN
	SITE read, TE_FIXUP_FAULT, movq (%rax), %rax
.Lgp:
	LOAD_PATTERN
	SITE gp, TE_FIXUP_FAULT, movq (%rax), %rax
.Lexec:
	LOAD_PATTERN
	/* RIP at the fault is the bad target; the fixup finds the return address at [RSP]. */
	SITE exec, TE_FIXUP_CALL, call *%rax

.Lout:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size te_fault_trigger, . - te_fault_trigger

/* void te_nested_fault(void): one ud2 inside the exception handler (TE_POLICY_NESTED). */
	.globl te_nested_fault
	.type te_nested_fault, @function
	.balign 16
te_nested_fault:
	.globl te_site_nested
te_site_nested:
	ud2
te_resume_nested:
	FIXUP te_site_nested, te_resume_nested, TE_FIXUP_FAULT
	ret
	.size te_nested_fault, . - te_nested_fault

	.section .rodata
	.balign 8
te_zero:
	.quad	0

	.section .note.GNU-stack, "", @progbits
