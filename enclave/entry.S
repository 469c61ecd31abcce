/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's entry point (TCS.OENTRY). EENTER (ref/sgx-isa.md §8.1) arrives here with
 *   RAX = CSSA, RBX = TCS, RCX = the address after the host's ENCLU (where EEXIT returns),
 *   FS.base = GS.base = this thread's TLS page (TCS.OFSBASE/OGSBASE), and every other register
 *   as the host left it: RSP and RBP point at untrusted memory, RFLAGS may have DF or AC set.
 * Nothing the host controls is dereferenced before the switch to the enclave stack; the stack
 * comes from the packer's TLS page (include/sgxemu/enclave_tls.h), read through GS.
 *
 * CSSA = 0: an ordinary call, on the top of this thread's stack.
 * CSSA > 0: the exception handler for SSA frame CSSA-1; it runs 128 bytes (the red zone) below
 *   the interrupted RSP when that RSP is on this thread's stack, so the interrupted frames and a
 *   nested handler's frames survive; otherwise on the stack top.
 *
 * Exit: EEXIT to the saved return address with RDI = status, RSP/RBP restored, scratch registers
 * cleared (test_enclave_abi.h lists the contract). R12-R15 are preserved because the C code
 * preserves them (SysV callee-saved) and this stub never touches them.
 */
#include <sgxemu/enclave_tls.h>

#define GPRSGX_SIZE 184
#define GPRSGX_RSP 32
#define RED_ZONE 128
/* Below this much stack the handler does not run: its own frames need a few KiB. */
#define HANDLER_STACK_MIN 8192
#define TE_EXC_NO_STACK 0x103
#define EEXIT 4
#define RFLAGS_DF (1 << 10)
#define RFLAGS_AC (1 << 18)

	.section .text.entry, "ax", @progbits
	.globl enclave_entry
	.type enclave_entry, @function
	.balign 16
enclave_entry:
	lea	__ehdr_start(%rip), %r11		/* enclave base */
	mov	%rsp, %r10				/* untrusted RSP */
	test	%rax, %rax
	jnz	.Lhandler_stack

	mov	%gs:SGXEMU_TLS_OFF_STACK_TOP, %rsp
	add	%r11, %rsp
	jmp	.Lon_stack

.Lhandler_stack:
	/* r8 = GPRSGX of frame CSSA-1 = base + OSSA + (CSSA-1) * frame + frame - 184 */
	mov	%gs:SGXEMU_TLS_OFF_SSA_FRAME_SIZE, %edx
	shl	$12, %rdx				/* frame bytes */
	lea	-1(%rax), %r8
	imul	%rdx, %r8
	add	%gs:SGXEMU_TLS_OFF_SSA, %r8
	add	%r11, %r8
	lea	-GPRSGX_SIZE(%r8,%rdx), %r8
	mov	GPRSGX_RSP(%r8), %r9			/* the interrupted RSP */

	mov	%gs:SGXEMU_TLS_OFF_STACK_TOP, %r8
	add	%r11, %r8				/* r8 = stack top */
	mov	%gs:SGXEMU_TLS_OFF_STACK_BOTTOM, %rdx
	add	%r11, %rdx				/* rdx = stack bottom */
	cmp	%r8, %r9
	ja	.Luse_top				/* above the stack: not ours */
	cmp	%rdx, %r9
	jb	.Luse_top				/* below the stack: not ours */
	lea	(RED_ZONE + HANDLER_STACK_MIN)(%rdx), %rdx
	cmp	%rdx, %r9
	jb	.Lno_stack				/* ours, but too deep to nest */
	lea	-RED_ZONE(%r9), %rsp
	and	$-16, %rsp
	jmp	.Lon_stack
.Luse_top:
	mov	%r8, %rsp

.Lon_stack:
	/* struct te_entry_frame, lowest address first: args, cssa, tcs, ret, urbp, ursp */
	push	%r10
	push	%rbp
	push	%rcx
	push	%rbx
	push	%rax
	push	%rsi					/* 48 bytes: RSP stays 16-aligned */
	mov	%rdi, %rsi				/* op */
	mov	%rsp, %rdi				/* frame */
	/* The SysV ABI wants DF = 0; AC = 1 would make unaligned accesses fault (#AC). */
	pushfq
	andq	$~(RFLAGS_DF | RFLAGS_AC), (%rsp)
	popfq
	xor	%ebp, %ebp				/* end of the frame-pointer chain */
	call	te_enclave_entry

	mov	%rax, %rdi				/* status */
	mov	24(%rsp), %rbx				/* EEXIT target */
	mov	32(%rsp), %rbp
	mov	40(%rsp), %rsp				/* back on the untrusted stack */
.Lexit:
	xor	%esi, %esi
	xor	%edx, %edx
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	mov	$EEXIT, %eax
	enclu
	ud2						/* EEXIT does not return */

.Lno_stack:
	/* Never switched stacks: RSP and RBP are still the host's. */
	mov	$TE_EXC_NO_STACK, %edi
	mov	%rcx, %rbx
	jmp	.Lexit
	.size enclave_entry, . - enclave_entry

	.section .note.GNU-stack, "", @progbits
