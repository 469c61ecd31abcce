/* SPDX-License-Identifier: MIT */
/*
 * dlopen, interposed by the shim. glibc's dlopen resolves a bare name with the *caller's* RUNPATH
 * (it looks at its return address), so a C wrapper that called the real dlopen would change what
 * programs load. This stub asks compat_dlopen_vdso whether the name is the vDSO's; if not, it
 * jumps (not calls) to the real dlopen with the program's own return address on the stack.
 */
	.text
	.globl dlopen
	.type dlopen, @function
dlopen:
	.cfi_startproc
	push %rdi
	.cfi_adjust_cfa_offset 8
	push %rsi
	.cfi_adjust_cfa_offset 8
	sub $8, %rsp
	.cfi_adjust_cfa_offset 8
	call compat_dlopen_vdso
	add $8, %rsp
	.cfi_adjust_cfa_offset -8
	pop %rsi
	.cfi_adjust_cfa_offset -8
	pop %rdi
	.cfi_adjust_cfa_offset -8
	test %rax, %rax
	jnz 1f
	/* --patch-cpuid: the new library must be patched before it runs (a real call). */
	cmpq $0, compat_patch_list(%rip)
	jne compat_dlopen_patch
	jmp *compat_real_dlopen(%rip)
1:	ret
	.cfi_endproc
	.size dlopen, . - dlopen

	.section .note.GNU-stack, "", @progbits
