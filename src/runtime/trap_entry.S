/* SPDX-License-Identifier: MIT */
/*
 * Everything that runs while the FS/GS bases or the syscall-dispatch selector may belong to an
 * enclave (or, in the compat layer's dispatch mode, to a program whose system calls sgxemu
 * catches) lives in one section, `sgxemu_exempt`: its address range (the linker's
 * __start_sgxemu_exempt..__stop_sgxemu_exempt, over every object that contributes to it) is the
 * thread's syscall-user-dispatch exempt range, so the `syscall`s below (and the rt_sigreturn of
 * our restorer) are allowed even while the selector says "block".
 *
 *   sgx_signal_stub        the handler of every signal sgxemu owns (SA_ONSTACK, SA_SIGINFO)
 *   __restore_rt           its SA_RESTORER (glibc's restorer is outside the exempt range);
 *                          sgx_signal_restorer in C
 *   sgxemu_enter_enclave   __vdso_sgx_enter_enclave's contract (ref/linux-sgx-subsystem.md §2)
 */

#define SYS_rt_sigreturn 15
#define SYS_arch_prctl 158
#define SYS_gettid 186
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002

#define T_HOST_FS 0
#define T_HOST_GS 8
#define T_ENCL_FS 16
#define T_ENCL_GS 24
#define T_FS_SWAPPED 32
#define T_SUD_SELECTOR 33
#define T_GUEST_FS 40
#define T_GUEST_GS 48
#define T_GUEST 56

#define EENTER 2
#define ERESUME 3
#define EEXIT 4

#define RUN_TCS 0
#define RUN_FUNCTION 8
#define RUN_EXCEPTION_VECTOR 12
#define RUN_EXCEPTION_ERROR_CODE 14
#define RUN_EXCEPTION_ADDR 16
#define RUN_USER_HANDLER 24
#define RUN_RESERVED_START 40
#define RUN_RESERVED_END 256

#define ENCLU .byte 0x0f, 0x01, 0xd7

	.section sgxemu_exempt, "ax", @progbits
	.p2align 12

/*
 * Loads a segment base: %edi = ARCH_SET_FS or ARCH_SET_GS, %rsi = base. WRFSBASE/WRGSBASE where
 * the kernel allows them (AT_HWCAP2), else arch_prctl. Clobbers %rax, %rcx, %r11.
 */
	.type sgx_set_segment_base, @function
sgx_set_segment_base:
	cmpb $0, sgx_have_fsgsbase(%rip)
	jne 1f
	mov $SYS_arch_prctl, %eax
	syscall
	ret
1:	cmp $ARCH_SET_FS, %edi
	jne 2f
	wrfsbase %rsi
	ret
2:	wrgsbase %rsi
	ret
	.size sgx_set_segment_base, . - sgx_set_segment_base

	.globl sgx_signal_stub
	.hidden sgx_signal_stub
	.type sgx_signal_stub, @function
sgx_signal_stub:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	mov %edi, %r12d
	mov %rsi, %r13
	mov %rdx, %r14

	/* RBX: 1 if the interrupted context ran with foreign FS/GS bases (an enclave, a guest). */
	xor %ebx, %ebx

	/* Find this thread's record without TLS. */
	mov $SYS_gettid, %eax
	syscall
	mov %eax, %edi
	call sgx_thread_find@PLT
	mov %rax, %r15
	test %rax, %rax
	jz .Ldispatch

	/* Interrupted in enclave mode: give the host its FS/GS back before any C touches TLS. */
	cmpb $0, T_FS_SWAPPED(%r15)
	je .Ldispatch
	movb $0, T_SUD_SELECTOR(%r15)
	mov $ARCH_SET_FS, %edi
	mov T_HOST_FS(%r15), %rsi
	call sgx_set_segment_base
	mov $ARCH_SET_GS, %edi
	mov T_HOST_GS(%r15), %rsi
	call sgx_set_segment_base
	movb $0, T_FS_SWAPPED(%r15)
	mov $1, %ebx

.Ldispatch:
	/* struct sgx_thread *sgx_trap_dispatch(t, sig, info, uc): non-NULL = resume in an enclave */
	mov %r15, %rdi
	mov %r12d, %esi
	mov %r13, %rdx
	mov %r14, %rcx
	call sgx_trap_dispatch@PLT
	test %rax, %rax
	jz .Lhost_return

	/* Back into enclave mode: after this point no C runs until rt_sigreturn. */
	mov %rax, %r15
	mov $ARCH_SET_FS, %edi
	mov T_ENCL_FS(%r15), %rsi
	call sgx_set_segment_base
	mov $ARCH_SET_GS, %edi
	mov T_ENCL_GS(%r15), %rsi
	call sgx_set_segment_base
	movb $1, T_FS_SWAPPED(%r15)
	movb $1, T_SUD_SELECTOR(%r15)
	jmp .Lreturn

.Lhost_return:
	/*
	 * Back to a dispatch-mode program (a guest) if that is what was interrupted (or the enclave
	 * it had entered, whose AEP is guest code): its FS/GS, and its system calls trap again. A
	 * trap taken inside sgxemu's own handler code returns there with the host's bases.
	 */
	test %ebx, %ebx
	jz .Lreturn
	test %r15, %r15
	jz .Lreturn
	cmpb $0, T_GUEST(%r15)
	je .Lreturn
	mov $ARCH_SET_FS, %edi
	mov T_GUEST_FS(%r15), %rsi
	call sgx_set_segment_base
	mov $ARCH_SET_GS, %edi
	mov T_GUEST_GS(%r15), %rsi
	call sgx_set_segment_base
	movb $1, T_FS_SWAPPED(%r15)
	movb $1, T_SUD_SELECTOR(%r15)

.Lreturn:
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
	.size sgx_signal_stub, . - sgx_signal_stub

/*
 * SA_RESTORER of sgxemu's handlers, and the return address of handlers it delivers itself.
 *
 * Debuggers and unwinders must see it as the signal trampoline to walk a backtrace out of a
 * handler into the interrupted code (an enclave's included), and they recognise one the way
 * glibc's is made: the symbol is named __restore_rt (gdb's amd64-linux check; it is local to this
 * library, as glibc's is to libc, so neither sees the other), the code is exactly
 * 48 c7 c0 0f 00 00 00 0f 05 (mov $15, %rax; syscall: libgcc's check), and a nop without unwind
 * information precedes it, because an unwinder looks up "return address - 1", which would
 * otherwise fall into sgx_signal_stub's CFI. C code calls it sgx_signal_restorer (signal.h).
 */
	nop
	.globl __restore_rt
	.hidden __restore_rt
	.type __restore_rt, @function
__restore_rt:
	mov $SYS_rt_sigreturn, %rax
	syscall
	ud2
	.size __restore_rt, . - __restore_rt

/*
 * int sgxemu_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
 *			    unsigned int function, unsigned long r8, unsigned long r9,
 *			    struct sgx_enclave_run *run);
 *
 * The contract of the kernel's __vdso_sgx_enter_enclave. Only RBX and RBP are saved; every other
 * register passes to and from the enclave untouched. The ENCLU below is both the entry and the
 * asynchronous exit pointer: after an AEX it runs again with RAX = ERESUME. When an exception in
 * the enclave is not resolvable, the runtime moves RIP to sgxemu_vdso_exception with the vector in
 * RDI, the error code in RSI and the address in RDX, as the kernel's exception fixup does.
 */
	.globl sgxemu_enter_enclave
	.type sgxemu_enter_enclave, @function
sgxemu_enter_enclave:
	.cfi_startproc
	push %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	push %rbx
	.cfi_rel_offset %rbx, -8

.Lenter_enclave:
	/* EENTER <= function <= ERESUME */
	cmp $EENTER, %ecx
	jb .Linvalid_input
	cmp $ERESUME, %ecx
	ja .Linvalid_input

	mov 0x10(%rbp), %rax
	/* The reserved bytes of struct sgx_enclave_run must be zero, on every (re)entry. */
	.set offset, RUN_RESERVED_START
	.rept (RUN_RESERVED_END - RUN_RESERVED_START) / 8
	cmpq $0, offset(%rax)
	jne .Linvalid_input
	.set offset, offset + 8
	.endr

	mov RUN_TCS(%rax), %rbx
	mov %ecx, %eax
	lea sgxemu_vdso_enclu(%rip), %rcx

	.globl sgxemu_vdso_enclu
	.hidden sgxemu_vdso_enclu
sgxemu_vdso_enclu:
	ENCLU

	/* EEXIT lands here (the enclave exits to the RCX it was given: the next instruction). */
	mov 0x10(%rbp), %rbx
	movl $EEXIT, RUN_FUNCTION(%rbx)

.Lhandle_exit:
	cmpq $0, RUN_USER_HANDLER(%rbx)
	jne .Linvoke_user_handler
	xor %eax, %eax

.Lout:
	pop %rbx
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_def_cfa %rbp, 16

.Linvalid_input:
	mov $-22, %eax
	jmp .Lout

	.globl sgxemu_vdso_exception
	.hidden sgxemu_vdso_exception
sgxemu_vdso_exception:
	mov 0x10(%rbp), %rbx
	mov %eax, RUN_FUNCTION(%rbx)
	mov %di, RUN_EXCEPTION_VECTOR(%rbx)
	mov %si, RUN_EXCEPTION_ERROR_CODE(%rbx)
	mov %rdx, RUN_EXCEPTION_ADDR(%rbx)
	jmp .Lhandle_exit

.Linvoke_user_handler:
	/* handler(rdi, rsi, rdx, ursp, r8, r9, run): RSP at exit is the untrusted stack pointer. */
	mov %rsp, %rcx
	mov %rbx, %rax
	/* Align the stack for the call and remember by how much, in callee-saved RBX. */
	mov %rsp, %rbx
	and $0xf, %rbx
	and $-0x10, %rsp
	push %rax
	push %rax
	cld
	mov RUN_USER_HANDLER(%rax), %rax
	lfence
	call *%rax
	lea 0x10(%rsp, %rbx), %rsp

	/* <= 0: return it to the caller; > 0: a leaf to (re)enter with, via the usual checks. */
	cmp $0, %eax
	jle .Lout
	mov %eax, %ecx
	jmp .Lenter_enclave
	.cfi_endproc
	.size sgxemu_enter_enclave, . - sgxemu_enter_enclave

	.section .data
	.globl sgx_have_fsgsbase
	.hidden sgx_have_fsgsbase
sgx_have_fsgsbase:
	.byte 0

	.section .note.GNU-stack, "", @progbits
