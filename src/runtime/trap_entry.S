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

/* ucontext_t (the kernel's frame layout; asserted in trap.c) */
#define DIRECT_UC_AREA 1024
#define UC_R8 40
#define UC_R9 48
#define UC_R10 56
#define UC_R11 64
#define UC_R12 72
#define UC_R13 80
#define UC_R14 88
#define UC_R15 96
#define UC_RDI 104
#define UC_RSI 112
#define UC_RBP 120
#define UC_RBX 128
#define UC_RDX 136
#define UC_RAX 144
#define UC_RCX 152
#define UC_RSP 160
#define UC_RIP 168
#define UC_EFL 176
#define UC_FPREGS 224
#define XSAVE_HEADER 512

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

/*
 * The last step into enclave mode before rt_sigreturn: %rdi = the thread's record. Loads the
 * enclave's FS/GS bases and blocks the thread's system calls (syscall user dispatch). No C may run
 * after it on this thread until the sigreturn. Clobbers %rax, %rcx, %rsi, %rdi, %r11.
 */
	.type sgx_switch_to_enclave, @function
sgx_switch_to_enclave:
	push %rbx
	mov %rdi, %rbx
	mov $ARCH_SET_FS, %edi
	mov T_ENCL_FS(%rbx), %rsi
	call sgx_set_segment_base
	mov $ARCH_SET_GS, %edi
	mov T_ENCL_GS(%rbx), %rsi
	call sgx_set_segment_base
	movb $1, T_FS_SWAPPED(%rbx)
	movb $1, T_SUD_SELECTOR(%rbx)
	pop %rbx
	ret
	.size sgx_switch_to_enclave, . - sgx_switch_to_enclave

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
	mov %rax, %rdi
	call sgx_switch_to_enclave
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

	/* Enter without trapping once the runtime knows this process's signal frame layout. */
	cmpq $0, sgx_direct_xstate(%rip)
	jne .Ldirect_entry

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

/*
 * EENTER/ERESUME without a trap (docs/internals.md "Entering without a trap"). The ENCLU above
 * would cost a whole signal delivery only to have sgx_signal_stub emulate the leaf and rt_sigreturn
 * into the enclave. Here the frame that delivery would have written is built in place: the
 * registers as they are at the ENCLU (RIP = the ENCLU, so the AEP and the EEXIT target are the
 * usual ones), an XSAVE image of the caller's extended state, then sgx_direct_enclu() does what
 * the trap would have done, and rt_sigreturn enters the enclave with the enclave's mask, registers
 * and extended state at once. When sgx_direct_enclu() declines (a thread's first entry, a failing
 * leaf, a dispatch-mode program), everything is put back and the ENCLU runs and traps as before.
 * Every register is in the frame, so any may be used from here on.
 */
.Ldirect_entry:
	pushfq
	sub $DIRECT_UC_AREA, %rsp
	mov %r8, UC_R8(%rsp)
	mov %r9, UC_R9(%rsp)
	mov %r10, UC_R10(%rsp)
	mov %r11, UC_R11(%rsp)
	mov %r12, UC_R12(%rsp)
	mov %r13, UC_R13(%rsp)
	mov %r14, UC_R14(%rsp)
	mov %r15, UC_R15(%rsp)
	mov %rdi, UC_RDI(%rsp)
	mov %rsi, UC_RSI(%rsp)
	mov %rbp, UC_RBP(%rsp)
	mov %rbx, UC_RBX(%rsp)
	mov %rdx, UC_RDX(%rsp)
	mov %rax, UC_RAX(%rsp)
	mov %rcx, UC_RCX(%rsp)
	mov DIRECT_UC_AREA(%rsp), %r8
	mov %r8, UC_EFL(%rsp)
	lea (DIRECT_UC_AREA + 8)(%rsp), %r8
	mov %r8, UC_RSP(%rsp)
	lea sgxemu_vdso_enclu(%rip), %r8
	mov %r8, UC_RIP(%rsp)
	mov %rsp, %r12

	/* R14 = the XSAVE image's size, R15 = its components: one read, one layout. */
	mov sgx_direct_xstate(%rip), %r15
	mov %r15, %r14
	shr $32, %r14
	mov %r15d, %r15d
	/* The image (64-byte aligned) and the 4-byte magic after it, below the frame. */
	lea (4 + 63)(%r14), %rax
	sub %rax, %rsp
	and $-64, %rsp
	mov %rsp, %r13
	/* XSAVE writes only XSTATE_BV of the header; XRSTOR wants the rest zero. */
	xor %eax, %eax
	.irp off, 0, 8, 16, 24, 32, 40, 48, 56
	mov %rax, (XSAVE_HEADER + \off)(%r13)
	.endr
	mov %r15d, %eax
	xor %edx, %edx
	xsave64 (%r13)
	mov %r13, UC_FPREGS(%r12)

	/*
	 * This thread's record, from here: these system calls are in the exempt range. A program
	 * of the dispatch mode (a guest) calls in with its own FS base and its system calls
	 * blocked, where no C may run: its entries trap, and the stub takes care of both.
	 */
	mov $SYS_gettid, %eax
	syscall
	mov %eax, %edi
	call sgx_thread_find@PLT
	test %rax, %rax
	jz .Ldirect_declined
	cmpb $0, T_GUEST(%rax)
	jne .Ldirect_declined

	/* struct sgx_thread *sgx_direct_enclu(t, uc, xstate_size, xfeatures) */
	mov %rax, %rdi
	mov %r12, %rsi
	mov %r14d, %edx
	mov %r15, %rcx
	call sgx_direct_enclu@PLT
	test %rax, %rax
	jz .Ldirect_declined

	/* In enclave mode, signals blocked: the enclave's FS/GS, then the frame's state at once. */
	mov %rax, %rdi
	call sgx_switch_to_enclave
	mov %r12, %rsp
	mov $SYS_rt_sigreturn, %eax
	syscall
	ud2

.Ldirect_declined:
	/* C may have used vector registers: the caller's state goes back, then the ENCLU traps. */
	mov %r15d, %eax
	xor %edx, %edx
	xrstor64 (%r13)
	mov %r12, %rsp
	mov UC_R8(%rsp), %r8
	mov UC_R9(%rsp), %r9
	mov UC_R10(%rsp), %r10
	mov UC_R11(%rsp), %r11
	mov UC_R12(%rsp), %r12
	mov UC_R13(%rsp), %r13
	mov UC_R14(%rsp), %r14
	mov UC_R15(%rsp), %r15
	mov UC_RDI(%rsp), %rdi
	mov UC_RSI(%rsp), %rsi
	mov UC_RBP(%rsp), %rbp
	mov UC_RBX(%rsp), %rbx
	mov UC_RDX(%rsp), %rdx
	mov UC_RCX(%rsp), %rcx
	mov UC_RAX(%rsp), %rax
	add $DIRECT_UC_AREA, %rsp
	popfq
	jmp sgxemu_vdso_enclu
	.cfi_endproc
	.size sgxemu_enter_enclave, . - sgxemu_enter_enclave

	.section .data
	.globl sgx_have_fsgsbase
	.hidden sgx_have_fsgsbase
sgx_have_fsgsbase:
	.byte 0

	.section .note.GNU-stack, "", @progbits
