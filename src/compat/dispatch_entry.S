/* SPDX-License-Identifier: MIT */
/*
 * The dispatch mode's code that runs with a guest's registers (see dispatch.c). It lives in the
 * syscall-user-dispatch exempt section with the runtime's stubs: the `syscall`s here are allowed
 * while the selector says "block".
 *
 *   compat_dispatch_gadget      a system call re-issued for the guest: the SIGSYS handler returns
 *                               here with the guest's registers; after the call, it jumps to the
 *                               guest's return address, kept below the guest's red zone
 *   compat_dispatch_start       enters a freshly loaded program at its entry point
 */
#define SYS_rt_sigprocmask 14
#define SYS_arch_prctl 158
#define ARCH_SET_FS 0x1002
#define GADGET_SLOT -136

	.section sgxemu_exempt, "ax", @progbits

	.globl compat_dispatch_gadget
	.hidden compat_dispatch_gadget
	.type compat_dispatch_gadget, @function
compat_dispatch_gadget:
	syscall
	.globl compat_dispatch_gadget_ret
	.hidden compat_dispatch_gadget_ret
compat_dispatch_gadget_ret:
	jmp *GADGET_SLOT(%rsp)
	.size compat_dispatch_gadget, . - compat_dispatch_gadget

/*
 * void compat_dispatch_start(uint64_t entry, uint64_t sp, uint8_t *selector, const uint64_t *mask)
 *
 * Called with every signal blocked, syscall user dispatch on for this thread and the selector at
 * "allow". Gives the program FS = 0 (a new process has no TLS yet), its signal mask, turns the
 * selector to "block" and jumps to entry with RSP = sp and every other register 0 (RDX = 0: no
 * function for atexit, as the kernel starts a static program).
 */
	.globl compat_dispatch_start
	.hidden compat_dispatch_start
	.type compat_dispatch_start, @function
compat_dispatch_start:
	mov %rdi, %r12
	mov %rsi, %r13
	mov %rdx, %r14
	mov %rcx, %r15
	mov $SYS_arch_prctl, %eax
	mov $ARCH_SET_FS, %edi
	xor %esi, %esi
	syscall
	movb $1, (%r14)
	mov $SYS_rt_sigprocmask, %eax
	mov $2, %edi		/* SIG_SETMASK */
	mov %r15, %rsi
	xor %edx, %edx
	mov $8, %r10d
	syscall
	mov %r13, %rsp
	push %r12
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	ret
	.size compat_dispatch_start, . - compat_dispatch_start

	.section .note.GNU-stack, "", @progbits

/*
 * void compat_dispatch_resume(const greg_t *gregs, uint8_t *selector, uint64_t fsbase,
 *			       const uint64_t *mask)
 *
 * Starts a new thread of the program as the kernel starts a clone child: every register as the
 * parent had it at its `clone` (gregs: ucontext order) but RAX = 0, RSP = the new stack, at the
 * instruction after the parent's `syscall`, with the program's FS, its signal mask, and the
 * selector at "block". Called with every signal blocked and the record saying guest/FS swapped.
 */
#define G_R8 0
#define G_R9 8
#define G_R10 16
#define G_R11 24
#define G_R12 32
#define G_R13 40
#define G_R14 48
#define G_R15 56
#define G_RDI 64
#define G_RSI 72
#define G_RBP 80
#define G_RBX 88
#define G_RDX 96
#define G_RCX 112
#define G_RSP 120
#define G_RIP 128

	.section sgxemu_exempt, "ax", @progbits
	.globl compat_dispatch_resume
	.hidden compat_dispatch_resume
	.type compat_dispatch_resume, @function
compat_dispatch_resume:
	mov %rdi, %r12
	mov %rsi, %r13
	mov %rdx, %r14
	mov %rcx, %r15
	mov $SYS_arch_prctl, %eax
	mov $ARCH_SET_FS, %edi
	mov %r14, %rsi
	syscall
	movb $1, (%r13)
	/* The new stack, with the return address just below it. */
	mov G_RSP(%r12), %rax
	sub $8, %rax
	mov G_RIP(%r12), %rcx
	mov %rcx, (%rax)
	mov %rax, %rsp
	mov $SYS_rt_sigprocmask, %eax
	mov $2, %edi
	mov %r15, %rsi
	xor %edx, %edx
	mov $8, %r10d
	syscall
	mov G_R8(%r12), %r8
	mov G_R9(%r12), %r9
	mov G_R10(%r12), %r10
	mov G_R11(%r12), %r11
	mov G_R13(%r12), %r13
	mov G_R14(%r12), %r14
	mov G_R15(%r12), %r15
	mov G_RDI(%r12), %rdi
	mov G_RSI(%r12), %rsi
	mov G_RBP(%r12), %rbp
	mov G_RBX(%r12), %rbx
	mov G_RDX(%r12), %rdx
	mov G_RCX(%r12), %rcx
	xor %eax, %eax
	mov G_R12(%r12), %r12
	ret
	.size compat_dispatch_resume, . - compat_dispatch_resume

	.section .note.GNU-stack, "", @progbits
