/* SPDX-License-Identifier: MIT */
/*
 * The C core behind sgx_signal_stub: every signal sgxemu owns arrives here, with the host's FS/GS
 * bases already restored by the stub. It decides what the hardware and the kernel would have done:
 *
 *   - in enclave mode, every event is an AEX first (DESIGN.md "Faults are AEX first"); ENCLU
 *     leaves the enclave executes are emulated in place;
 *   - host code executing ENCLU gets EENTER/ERESUME;
 *   - a non-present enclave page is resolved by the kernel layer's fault path, outside the
 *     enclave, and the thread re-enters with ERESUME — invisibly, as on hardware;
 *   - what the kernel would report becomes the vDSO's exception fixup or a signal delivered to the
 *     application's handler at the AEP.
 *
 * Built without the stack protector: its caller may have had a foreign FS base moments ago.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <asm/prctl.h>

#include <sgxemu/debug.h>

#include "common/log.h"
#include "cpu/enclu.h"
#include "cpu/encls.h"
#include "runtime/cpuid.h"
#include "kernel/power.h"
#include "kernel/sgx.h"
#include "runtime/mm.h"
#include "runtime/pm_trigger.h"
#include "runtime/runtime.h"
#include "runtime/sigframe.h"
#include "runtime/signal.h"
#include "runtime/thread.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* SIGSYS si_code of syscall user dispatch (Linux 5.11) */
#endif

#define ENCLU_LEN 3
#define ENCLU_FAULT_RETRIES 64

/* The syscall-user-dispatch exempt range: every object's `sgxemu_exempt` section (trap_entry.S). */
extern char __start_sgxemu_exempt[], __stop_sgxemu_exempt[];
extern char sgxemu_vdso_enclu[], sgxemu_vdso_exception[];

struct sgx_thread *sgx_trap_dispatch(struct sgx_thread *t, int sig, siginfo_t *info, void *ucv);
struct sgx_thread *sgx_direct_enclu(struct sgx_thread *t, ucontext_t *uc, uint32_t xstate_size,
				    uint64_t xfeatures);

/* The signal frame offsets trap_entry.S writes a direct entry's frame at (glibc = kernel here). */
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R8]) == 40, "trap_entry.S UC_R8");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]) == 168, "trap_entry.S UC_RIP");
_Static_assert(offsetof(ucontext_t, uc_mcontext.fpregs) == 224, "trap_entry.S UC_FPREGS");
_Static_assert(sizeof(ucontext_t) <= 1024, "trap_entry.S DIRECT_UC_AREA");
_Static_assert(REG_R8 == 0 && REG_R15 == 7 && REG_RDI == 8 && REG_RSI == 9 && REG_RBP == 10 &&
		       REG_RBX == 11 && REG_RDX == 12 && REG_RAX == 13 && REG_RCX == 14 &&
		       REG_RSP == 15 && REG_RIP == 16 && REG_EFL == 17,
	       "trap_entry.S register slots");

static bool is_enclu_at(uint64_t rip)
{
	const uint8_t *p = (const uint8_t *)rip;

	return p[0] == 0x0f && p[1] == 0x01 && p[2] == 0xd7;
}

static bool is_cpuid_at(uint64_t rip)
{
	const uint8_t *p = (const uint8_t *)rip;

	return p[0] == 0x0f && p[1] == 0xa2;
}

static uint64_t host_thread_pointer(void)
{
	uint64_t fs;

	/* glibc keeps the thread pointer (= the FS base) at %fs:0. */
	asm volatile("mov %%fs:0, %0" : "=r"(fs));
	return fs;
}

static void regs_from_uc(const ucontext_t *uc, struct sgx_regs *r, uint64_t fs, uint64_t gs)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	r->rax = g[REG_RAX];
	r->rcx = g[REG_RCX];
	r->rdx = g[REG_RDX];
	r->rbx = g[REG_RBX];
	r->rsp = g[REG_RSP];
	r->rbp = g[REG_RBP];
	r->rsi = g[REG_RSI];
	r->rdi = g[REG_RDI];
	r->r8 = g[REG_R8];
	r->r9 = g[REG_R9];
	r->r10 = g[REG_R10];
	r->r11 = g[REG_R11];
	r->r12 = g[REG_R12];
	r->r13 = g[REG_R13];
	r->r14 = g[REG_R14];
	r->r15 = g[REG_R15];
	r->rflags = g[REG_EFL];
	r->rip = g[REG_RIP];
	r->fsbase = fs;
	r->gsbase = gs;
}

static void regs_to_uc(const struct sgx_regs *r, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RAX] = r->rax;
	g[REG_RCX] = r->rcx;
	g[REG_RDX] = r->rdx;
	g[REG_RBX] = r->rbx;
	g[REG_RSP] = r->rsp;
	g[REG_RBP] = r->rbp;
	g[REG_RSI] = r->rsi;
	g[REG_RDI] = r->rdi;
	g[REG_R8] = r->r8;
	g[REG_R9] = r->r9;
	g[REG_R10] = r->r10;
	g[REG_R11] = r->r11;
	g[REG_R12] = r->r12;
	g[REG_R13] = r->r13;
	g[REG_R14] = r->r14;
	g[REG_R15] = r->r15;
	g[REG_EFL] = r->rflags;
	g[REG_RIP] = r->rip;
}

static void xstate_from_uc(ucontext_t *uc, struct sgx_xstate *xs)
{
	const struct sgx_fpx_sw_bytes *sw = sgx_uc_fp_sw_bytes(uc);

	xs->area = (uint8_t *)uc->uc_mcontext.fpregs;
	xs->size = 512;
	xs->xcr0 = 3;
	if (!sw)
		return;
	if (sw->magic1 == SGX_FP_XSTATE_MAGIC1) {
		xs->size = sw->xstate_size;
		xs->xcr0 = sw->xfeatures;
	}
}

static uint64_t *uc_mask(ucontext_t *uc)
{
	return (uint64_t *)&uc->uc_sigmask;
}

/* Leaving enclave mode (EEXIT, AEX): the application's mask comes back. */
static void left_enclave(struct sgx_thread *t, ucontext_t *uc)
{
	*uc_mask(uc) = t->app_sigmask;
}

/* Entering enclave mode (EENTER, ERESUME): traps and the IPI can never be blocked inside. */
static struct sgx_thread *entered_enclave(struct sgx_thread *t, const struct sgx_regs *r,
					  ucontext_t *uc, uint64_t app_mask)
{
	t->app_sigmask = app_mask;
	*uc_mask(uc) = sgx_signal_enclave_mask(app_mask);
	t->encl_fsbase = r->fsbase;
	t->encl_gsbase = r->gsbase;
	return t;
}

/* --- first entry of a thread ------------------------------------------------------------- */

static int thread_prepare(struct sgx_thread *t, ucontext_t *uc)
{
	long ret;

	if (t->registered)
		return 0;
	sgx_signals_take_over();
	ret = sgx_signal_thread_init(t);
	if (ret && ret != -EBUSY)
		return (int)ret;
	/*
	 * We are inside a signal handler: rt_sigreturn would restore the alternate stack recorded
	 * in this frame (none) and undo the one just installed.
	 */
	if (!ret)
		sgx_signal_altstack(t, &uc->uc_stack);
	if (ret == -EBUSY)
		pr_warn_once("runtime: a thread entered an enclave while running on its own "
			     "alternate signal stack; sgxemu's handlers will share that stack");
	syscall(SYS_arch_prctl, ARCH_GET_GS, &t->host_gsbase);
	t->sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (!prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		   (unsigned long)__start_sgxemu_exempt,
		   (unsigned long)(__stop_sgxemu_exempt - __start_sgxemu_exempt), &t->sud_selector))
		t->sud_enabled = 1;
	else
		pr_warn_once("runtime: syscall user dispatch is unavailable (%s); system calls from "
			     "enclave code will not fault", strerror(errno));
	sgx_tlp_init(&t->tlp, NULL);
	__atomic_store_n(&t->registered, 1, __ATOMIC_RELEASE);
	return 0;
}

void sgx_trap_thread_exit(struct sgx_thread *t)
{
	if (!t->registered)
		return;
	if (t->sud_enabled)
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	t->sud_enabled = 0;
	sgx_signal_thread_exit(t);
}

/* --- reporting --------------------------------------------------------------------------- */

static int vector_to_signal(uint8_t vector, int *code)
{
	switch (vector) {
	case X86_TRAP_DE:
		*code = FPE_INTDIV;
		return SIGFPE;
	case X86_TRAP_MF:
	case X86_TRAP_XM:
		*code = FPE_FLTINV;
		return SIGFPE;
	case X86_TRAP_DB:
		*code = TRAP_TRACE;
		return SIGTRAP;
	case X86_TRAP_BP:
		*code = TRAP_BRKPT;
		return SIGTRAP;
	case X86_TRAP_UD:
		*code = ILL_ILLOPN;
		return SIGILL;
	case X86_TRAP_AC:
		*code = BUS_ADRALN;
		return SIGBUS;
	case X86_TRAP_GP:
		*code = SI_KERNEL;
		return SIGSEGV;
	case X86_TRAP_PF:
	default:
		*code = SEGV_ACCERR;
		return SIGSEGV;
	}
}

/*
 * What the kernel does with an exception it cannot resolve, at the context now in uc (the AEP
 * after an AEX, or the ENCLU itself): the vDSO's fixup when the faulting IP is the vDSO's ENCLU
 * (never for #DB/#BP), else the signal, delivered to the application.
 */
static void report_exception(ucontext_t *uc, uint8_t vector, uint32_t error_code, uint64_t addr,
			     int sig_override, int code_override)
{
	greg_t *g = uc->uc_mcontext.gregs;
	siginfo_t si;
	int sig, code;

	if ((uint64_t)g[REG_RIP] == (uint64_t)sgxemu_vdso_enclu && vector != X86_TRAP_DB &&
	    vector != X86_TRAP_BP) {
		g[REG_RIP] = (greg_t)sgxemu_vdso_exception;
		g[REG_RDI] = vector;
		g[REG_RSI] = error_code;
		g[REG_RDX] = (greg_t)addr;
		return;
	}

	sig = vector_to_signal(vector, &code);
	if (sig_override) {
		sig = sig_override;
		code = code_override;
	}
	if (vector == X86_TRAP_PF && sig == SIGSEGV && !(error_code & X86_PF_PROT))
		code = SEGV_MAPERR;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_addr = (void *)addr;
	g[REG_ERR] = error_code;
	g[REG_TRAPNO] = vector;
	g[REG_CR2] = vector == X86_TRAP_PF ? (greg_t)addr : 0;
	sgx_deliver_to_app(sig, &si, uc);
}

/*
 * A breakpoint for debuggers (tools/sgxemu.gdb, include/sgxemu/debug.h): called for every
 * exception in enclave mode that is reported rather than resolved. It does nothing.
 */
__attribute__((noinline, used, visibility("default"))) void
sgxemu_debug_enclave_exception(unsigned int vector, unsigned int error_code, uint64_t addr,
			       uint64_t rip)
{
	asm volatile("" : : "r"(vector), "r"(error_code), "r"(addr), "r"(rip) : "memory");
}

/*
 * A memory error consumed (the fault path answered HWPOISON): the machine check's action is the
 * kernel's arch_memory_failure(), which forces SIGBUS on the task: si_code SI_KERNEL, no
 * address. Delivered at the context in uc (the AEP, after an AEX, for an enclave thread): a
 * signal, never the vDSO's exception fixup.
 */
static void report_memory_failure(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = SI_KERNEL;
	g[REG_TRAPNO] = X86_TRAP_MC;
	g[REG_ERR] = 0;
	g[REG_CR2] = 0;
	sgx_deliver_to_app(SIGBUS, &si, uc);
}

/* --- ENCLU from host code: EENTER and ERESUME -------------------------------------------- */

static unsigned int access_from_error_code(uint32_t error_code)
{
	if (error_code & X86_PF_INSTR)
		return SGX_ACCESS_EXEC;
	if (error_code & X86_PF_WRITE)
		return SGX_ACCESS_WRITE;
	return SGX_ACCESS_READ;
}

/* The ordinary (non-SGX) error code the kernel reports when its fault handler answers SIGBUS. */
static uint32_t sigbus_error_code(unsigned int access)
{
	return X86_PF_USER | (access == SGX_ACCESS_WRITE ? X86_PF_WRITE : 0) |
	       (access == SGX_ACCESS_EXEC ? X86_PF_INSTR : 0);
}

/* How an EENTER/ERESUME from host code ended when it did not enter. */
enum host_enclu_failure {
	HOST_ENCLU_FAULT,    /* report fault */
	HOST_ENCLU_SIGBUS,   /* the kernel's fault path answered SIGBUS for fault.addr */
	HOST_ENCLU_HWPOISON, /* the page at fault.addr has a memory error: the machine check */
};

/* try_host_enclu() past the power-management gate. */
static struct sgx_thread *try_host_enclu_gated(struct sgx_thread *t, ucontext_t *uc,
					       struct sgx_cpu *cpu, struct sgx_fault *fault,
					       enum host_enclu_failure *failure)
{
	uint64_t app_mask = *uc_mask(uc);
	struct sgx_xstate xs;
	struct sgx_regs r;

	__atomic_store_n(&t->tlp.cpu, cpu, __ATOMIC_RELAXED); /* read by the IPI scan */
	xstate_from_uc(uc, &xs);

	for (int attempt = 0; attempt < ENCLU_FAULT_RETRIES; attempt++) {
		regs_from_uc(uc, &r, t->host_fsbase, t->host_gsbase);
		if (!sgx_enclu(&t->tlp, &r, &xs, fault)) {
			regs_to_uc(&r, uc);
			t->enclu_count++;
			return entered_enclave(t, &r, uc, app_mask);
		}
		if (fault->vector != X86_TRAP_PF ||
		    (fault->error_code & (X86_PF_PROT | X86_PF_SGX)))
			return NULL;
		/* Not present: the kernel's fault path loads or maps it, then ENCLU runs again. */
		switch (sgx_mm_fault(fault->addr, access_from_error_code(fault->error_code))) {
		case SGX_MM_FAULT_MAPPED:
		case SGX_MM_FAULT_NO_ACCESS: /* the CPU reaches TCS/SSA pages without host PTEs */
			continue;
		case SGX_MM_FAULT_SIGBUS:
			*failure = HOST_ENCLU_SIGBUS;
			return NULL;
		case SGX_MM_FAULT_HWPOISON:
			*failure = HOST_ENCLU_HWPOISON;
			return NULL;
		case SGX_MM_FAULT_NOT_OURS:
			return NULL;
		}
		return NULL;
	}
	return NULL;
}

/*
 * Executes the ENCLU at uc's RIP from outside enclave mode, resolving non-present pages (an
 * evicted TCS or SSA page) through the kernel's fault path and retrying, as hardware re-executes
 * the faulting instruction after the kernel fixed the fault. On success uc holds the enclave's
 * entry state and the thread record is returned; on failure uc is unchanged. While the platform
 * sleeps (power.h), the entry waits here, outside enclave mode.
 */
static struct sgx_thread *try_host_enclu(struct sgx_thread *t, ucontext_t *uc,
					 struct sgx_fault *fault, enum host_enclu_failure *failure)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct sgx_platform *platform;
	struct sgx_thread *entered;

	*failure = HOST_ENCLU_FAULT;
	*fault = (struct sgx_fault){ .vector = X86_TRAP_GP };
	/* The TCS operand is a linear address: with nothing mapped there the page walk fails. */
	platform = sgx_mm_platform_at((uint64_t)g[REG_RBX]);
	if (!platform) {
		*fault = (struct sgx_fault){ .vector = X86_TRAP_PF,
					     .error_code = X86_PF_USER,
					     .addr = (uint64_t)g[REG_RBX] & ~0xFFFULL };
		return NULL;
	}
	sgx_pm_enclu_begin(platform);
	entered = try_host_enclu_gated(t, uc, platform->cpu, fault, failure);
	sgx_pm_enclu_end(platform);
	return entered;
}

/* The ENCLU at uc's RIP, executed by host code (it trapped): EENTER or ERESUME, else #GP. */
static struct sgx_thread *host_enclu(struct sgx_thread *t, ucontext_t *uc)
{
	uint32_t leaf = (uint32_t)uc->uc_mcontext.gregs[REG_RAX];
	enum host_enclu_failure failure;
	struct sgx_fault fault;
	struct sgx_thread *entered;

	if (leaf != EENTER && leaf != ERESUME) {
		/* Leaves that need enclave mode, and undefined leaves: #GP(0). */
		report_exception(uc, X86_TRAP_GP, 0, 0, 0, 0);
		return NULL;
	}
	entered = try_host_enclu(t, uc, &fault, &failure);
	if (entered)
		return entered;
	if (failure == HOST_ENCLU_SIGBUS) {
		report_exception(uc, X86_TRAP_PF,
				 sigbus_error_code(access_from_error_code(fault.error_code)),
				 fault.addr, SIGBUS, BUS_ADRERR);
		return NULL;
	}
	if (failure == HOST_ENCLU_HWPOISON) {
		report_memory_failure(uc);
		return NULL;
	}
	report_exception(uc, fault.vector, fault.error_code, fault.addr, 0, 0);
	return NULL;
}

/* --- EENTER/ERESUME from sgxemu_enter_enclave without a trap ------------------------------ */

/*
 * The XSAVE image the kernel writes in this process's signal frames, learned from the first one
 * sgxemu sees: its size in the high half, its components (all below bit 32) in the low half, 0
 * until then. trap_entry.S reads it to lay out the frame of a direct entry.
 */
__attribute__((visibility("hidden"))) uint64_t sgx_direct_xstate;

static void learn_xstate_layout(const ucontext_t *uc)
{
	const struct sgx_fpx_sw_bytes *sw = sgx_uc_fp_sw_bytes(uc);
	uint64_t layout;

	if (!sw || sw->magic1 != SGX_FP_XSTATE_MAGIC1 || sw->xfeatures >> 32)
		return;
	layout = (uint64_t)sw->xstate_size << 32 | sw->xfeatures;
	if (__atomic_load_n(&sgx_direct_xstate, __ATOMIC_RELAXED) != layout)
		__atomic_store_n(&sgx_direct_xstate, layout, __ATOMIC_RELAXED);
}

/* The parts of a signal frame rt_sigreturn reads that a trap would have filled in. */
static void complete_direct_frame(const struct sgx_thread *t, ucontext_t *uc, uint32_t xstate_size,
				  uint64_t xfeatures)
{
	struct sgx_fpx_sw_bytes *sw =
		(struct sgx_fpx_sw_bytes *)((uint8_t *)uc->uc_mcontext.fpregs +
					    SGX_FXSAVE_SW_BYTES_OFFSET);
	uint16_t cs, ss;

	asm("mov %%cs, %0" : "=r"(cs));
	asm("mov %%ss, %0" : "=r"(ss));
	uc->uc_flags = SGX_UC_FP_XSTATE | SGX_UC_SIGCONTEXT_SS;
	uc->uc_link = NULL;
	/*
	 * rt_sigreturn installs uc_stack: it must be the alternate stack in place, sgxemu's, or the
	 * application's where sgxemu shares it (a thread that first entered on it, sanitizers').
	 */
	if (t->altstack) {
		sgx_signal_altstack(t, &uc->uc_stack);
	} else {
		syscall(SYS_sigaltstack, NULL, &uc->uc_stack);
		uc->uc_stack.ss_flags &= ~SS_ONSTACK;
	}
	uc->uc_mcontext.gregs[REG_CSGSFS] = (greg_t)((uint64_t)cs | (uint64_t)ss << 48);
	uc->uc_mcontext.gregs[REG_ERR] = 0;
	uc->uc_mcontext.gregs[REG_TRAPNO] = 0;
	uc->uc_mcontext.gregs[REG_OLDMASK] = 0;
	uc->uc_mcontext.gregs[REG_CR2] = 0;
	*sw = (struct sgx_fpx_sw_bytes){ .magic1 = SGX_FP_XSTATE_MAGIC1,
					 .extended_size = xstate_size + SGX_FP_XSTATE_MAGIC2_SIZE,
					 .xfeatures = xfeatures,
					 .xstate_size = xstate_size };
	memcpy((uint8_t *)uc->uc_mcontext.fpregs + xstate_size, &(uint32_t){ SGX_FP_XSTATE_MAGIC2 },
	       SGX_FP_XSTATE_MAGIC2_SIZE);
}

/*
 * Called by sgxemu_enter_enclave in place of its ENCLU trapping (docs/internals.md "Entering
 * without a trap"): uc holds the registers at that ENCLU, as a trap's frame would, and an XSAVE
 * image of the caller's extended state. On success the thread is in enclave mode, uc holds the
 * enclave's entry state with the mask an entry sets, signals other than faults are blocked until
 * trap_entry.S switches FS/GS and executes rt_sigreturn on uc. NULL means "trap instead": nothing
 * changed, the caller's mask is back, and the ENCLU runs (and reports what failed).
 */
struct sgx_thread *sgx_direct_enclu(struct sgx_thread *t, ucontext_t *uc, uint32_t xstate_size,
				    uint64_t xfeatures)
{
	uint64_t block = sgx_signal_handler_mask();
	uint32_t leaf = (uint32_t)uc->uc_mcontext.gregs[REG_RAX];
	enum host_enclu_failure failure;
	struct sgx_thread *entered;
	struct sgx_fault fault;
	int saved_errno;

	/*
	 * Only a thread that entered before (its set-up runs in a trap), whose record is its own
	 * (a tid reused by a new thread is recognised, and set up again, in the trap).
	 */
	if (!__atomic_load_n(&t->registered, __ATOMIC_ACQUIRE) || t->tlp.enclave_mode ||
	    t->host_fsbase != host_thread_pointer())
		return NULL;
	if (leaf != EENTER && leaf != ERESUME)
		return NULL;

	saved_errno = errno;
	/* As in sgxemu's handlers: nothing but a fault may interrupt until rt_sigreturn. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &block, uc_mask(uc), sizeof(uint64_t));
	complete_direct_frame(t, uc, xstate_size, xfeatures);
	entered = try_host_enclu(t, uc, &fault, &failure);
	if (entered)
		t->direct_entries++;
	else
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, uc_mask(uc), NULL, sizeof(uint64_t));
	errno = saved_errno;
	return entered;
}

/* After an AEX, re-enter with the ERESUME at the AEP, as the AEP's ENCLU would. */
static struct sgx_thread *resume_at_aep(struct sgx_thread *t, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	if ((uint32_t)g[REG_RAX] != ERESUME || !is_enclu_at((uint64_t)g[REG_RIP]))
		return NULL; /* an unusual AEP: let it run natively */
	return host_enclu(t, uc);
}

/* --- events in enclave mode -------------------------------------------------------------- */

/* An exception in enclave mode: AEX, then resolve or report. */
static struct sgx_thread *enclave_exception(struct sgx_thread *t, ucontext_t *uc,
					    const struct sgx_exception *ex, bool resolvable,
					    unsigned int access)
{
	struct sgx_xstate xs;
	struct sgx_regs r;
	uint64_t fault_rip;

	regs_from_uc(uc, &r, t->encl_fsbase, t->encl_gsbase);
	fault_rip = r.rip;
	/* Before the AEX, so that a debugger finds the enclave's registers in the signal frame. */
	if (!resolvable)
		sgxemu_debug_enclave_exception(ex->vector, ex->error_code, sgx_aex_fault_addr(ex),
					       fault_rip);
	xstate_from_uc(uc, &xs);
	sgx_aex(&t->tlp, &r, &xs, ex);
	regs_to_uc(&r, uc);
	left_enclave(t, uc);
	t->aex_count++;

	if (resolvable) {
		switch (sgx_mm_fault(ex->addr, access)) {
		case SGX_MM_FAULT_MAPPED:
		case SGX_MM_FAULT_NO_ACCESS: /* the retried access meets the EPCM and is reported */
			return resume_at_aep(t, uc);
		case SGX_MM_FAULT_SIGBUS:
			sgxemu_debug_enclave_exception(X86_TRAP_PF, sigbus_error_code(access),
						       sgx_aex_fault_addr(ex), fault_rip);
			report_exception(uc, X86_TRAP_PF, sigbus_error_code(access),
					 sgx_aex_fault_addr(ex), SIGBUS, BUS_ADRERR);
			return NULL;
		case SGX_MM_FAULT_HWPOISON:
			/* The hardware left the enclave (the AEX above); the signal comes at the AEP. */
			report_memory_failure(uc);
			return NULL;
		case SGX_MM_FAULT_NOT_OURS:
			break;
		}
		sgxemu_debug_enclave_exception(ex->vector, ex->error_code, sgx_aex_fault_addr(ex),
					       fault_rip);
	}
	report_exception(uc, ex->vector, ex->error_code, sgx_aex_fault_addr(ex), 0, 0);
	return NULL;
}

/* A page fault in enclave mode (SIGSEGV or userfaultfd's SIGBUS), classified like hardware. */
static struct sgx_thread *enclave_page_fault(struct sgx_thread *t, ucontext_t *uc, uint64_t addr,
					     uint32_t host_error_code)
{
	unsigned int access = access_from_error_code(host_error_code);
	struct sgx_exception ex = {
		.reported = true,
		.vector = X86_TRAP_PF,
		.type = SGX_EXITINFO_TYPE_HW,
		.addr = addr,
	};
	struct sgx_fault fault;

	if (!sgx_cpu_access(&t->tlp, addr, access, &fault)) {
		/* Allowed now: the host's page table is stale (the "TLB"); refresh it via the fault path. */
		ex.error_code = X86_PF_USER | (access == SGX_ACCESS_WRITE ? X86_PF_WRITE : 0);
		return enclave_exception(t, uc, &ex, true, access);
	}
	ex.error_code = fault.error_code;
	ex.addr = fault.addr;
	/* Not present in the CPU's page table: the kernel's fault handler's business. */
	return enclave_exception(t, uc, &ex, !(fault.error_code & (X86_PF_PROT | X86_PF_SGX)),
				 access);
}

static struct sgx_thread *enclave_enclu(struct sgx_thread *t, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	struct sgx_thread *ret;
	struct sgx_fault fault;
	struct sgx_xstate xs;
	struct sgx_regs r;
	bool resolvable;

	for (unsigned int pass = 0;; pass++) {
		struct sgx_exception ex = { .reported = true, .type = SGX_EXITINFO_TYPE_HW };

		regs_from_uc(uc, &r, t->encl_fsbase, t->encl_gsbase);
		xstate_from_uc(uc, &xs);
		if (!sgx_enclu(&t->tlp, &r, &xs, &fault)) {
			regs_to_uc(&r, uc);
			t->enclu_count++;
			if (t->tlp.enclave_mode) {
				t->encl_fsbase = r.fsbase;
				t->encl_gsbase = r.gsbase;
				return t;
			}
			/* EEXIT: the stub already gave the host its FS/GS back. */
			left_enclave(t, uc);
			return NULL;
		}
		ex.vector = fault.vector;
		ex.error_code = fault.error_code;
		ex.addr = fault.addr;
		resolvable = fault.vector == X86_TRAP_PF &&
			     !(fault.error_code & (X86_PF_PROT | X86_PF_SGX));
		ret = enclave_exception(t, uc, &ex, resolvable,
					access_from_error_code(fault.error_code));
		/*
		 * A resolved fault on the leaf's own operand (an EACCEPT of a page that was not there
		 * yet: the fault path EAUGed it) has taken the thread through AEX and ERESUME back to
		 * this same ENCLU, which would trap again at once. Run it now instead: the same
		 * instruction, one signal round trip and four segment-base writes fewer. Once only,
		 * so that a fault the kernel keeps answering "retry" (EPC pressure) goes back to the
		 * enclave, where the IPI and other signals get in; never when single-stepping.
		 */
		if (pass || !resolvable || ret != t || !t->tlp.enclave_mode ||
		    (uint64_t)g[REG_RIP] != rip || (g[REG_EFL] & X86_EFLAGS_TF))
			return ret;
	}
}

static struct sgx_thread *enclave_event(struct sgx_thread *t, int sig, siginfo_t *info,
					ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct sgx_exception ex = { .reported = true, .type = SGX_EXITINFO_TYPE_HW };

	switch (sig) {
	case SIGILL:
		if (is_enclu_at((uint64_t)g[REG_RIP]))
			return enclave_enclu(t, uc);
		ex.vector = X86_TRAP_UD;
		return enclave_exception(t, uc, &ex, false, 0);
	case SIGSEGV:
		if (info->si_code == SI_KERNEL || g[REG_TRAPNO] == X86_TRAP_GP) {
			if (is_enclu_at((uint64_t)g[REG_RIP]))
				return enclave_enclu(t, uc); /* SGX present but disabled: #GP */
			if (is_cpuid_at((uint64_t)g[REG_RIP])) {
				/* CPUID faulting's #GP: in enclave mode CPUID is #UD. */
				ex.vector = X86_TRAP_UD;
				return enclave_exception(t, uc, &ex, false, 0);
			}
			ex.vector = X86_TRAP_GP;
			return enclave_exception(t, uc, &ex, false, 0);
		}
		return enclave_page_fault(t, uc, (uint64_t)info->si_addr, (uint32_t)g[REG_ERR]);
	case SIGBUS:
		if (info->si_code == BUS_ADRERR && sgx_mm_cpu_at((uint64_t)info->si_addr))
			return enclave_page_fault(t, uc, (uint64_t)info->si_addr,
						  (uint32_t)g[REG_ERR]);
		ex.vector = g[REG_TRAPNO] ? (uint8_t)g[REG_TRAPNO] : X86_TRAP_AC;
		return enclave_exception(t, uc, &ex, false, 0);
	case SIGFPE:
		ex.vector = (uint8_t)g[REG_TRAPNO];
		return enclave_exception(t, uc, &ex, false, 0);
	case SIGTRAP:
		ex.vector = (uint8_t)g[REG_TRAPNO];
		if (ex.vector == X86_TRAP_BP)
			ex.type = SGX_EXITINFO_TYPE_SW;
		return enclave_exception(t, uc, &ex, false, 0);
	case SIGSYS:
		if (info->si_code == SYS_USER_DISPATCH) {
			/*
			 * SYSCALL in enclave mode is #UD. The kernel reports it after the instruction
			 * retired: point RIP back at it and recover RAX. RCX and R11 were already
			 * overwritten by SYSCALL itself; the SSA shows them as they are now.
			 */
			g[REG_RIP] -= 2;
			g[REG_RAX] = info->si_syscall;
			ex.vector = X86_TRAP_UD;
			return enclave_exception(t, uc, &ex, false, 0);
		}
		break;
	default:
		break;
	}

	/* An interrupt: an AEX without a reported exception, then the signal's delivery at the AEP. */
	ex.reported = false;
	ex.vector = 0;
	{
		struct sgx_xstate xs;
		struct sgx_regs r;

		regs_from_uc(uc, &r, t->encl_fsbase, t->encl_gsbase);
		xstate_from_uc(uc, &xs);
		sgx_aex(&t->tlp, &r, &xs, &ex);
		regs_to_uc(&r, uc);
		left_enclave(t, uc);
		t->aex_count++;
	}
	if (sig == SGX_IPI_SIGNAL) {
		sgx_runtime_ipi_ack(t);
		return resume_at_aep(t, uc);
	}
	sgx_deliver_to_app(sig, info, uc);
	return NULL;
}

/* --- the dispatcher ---------------------------------------------------------------------- */

struct sgx_thread *sgx_trap_dispatch(struct sgx_thread *t, int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved_errno = errno;
	struct sgx_thread *ret = NULL;

	learn_xstate_layout(uc);
	/*
	 * The suspend trigger belongs to the platform, not the program: no AEX, no delivery; the
	 * thread goes on where it was, enclave mode included (the suspend will kick it).
	 */
	if (sgx_pm_trigger_handle(sig)) {
		if (t && t->registered && t->tlp.enclave_mode)
			ret = t;
		goto out;
	}

	if (t && t->registered && t->tlp.enclave_mode) {
		ret = enclave_event(t, sig, info, uc);
		goto out;
	}

	/* A thread of a program the compat layer's dispatch mode runs. */
	if (t && t->guest) {
		const struct sgx_guest_ops *ops = sgx_runtime_guest_ops();

		if (ops && sig == SIGSYS && info->si_code == SYS_USER_DISPATCH) {
			ops->syscall(t, info, uc);
			goto out;
		}
		if (ops)
			ops->fixup(t, uc);
	}

	if ((sig == SIGILL || (sig == SIGSEGV && info->si_code == SI_KERNEL)) &&
	    is_enclu_at((uint64_t)g[REG_RIP])) {
		uint64_t fs = host_thread_pointer();

		if (!t || t->host_fsbase != fs)
			t = sgx_thread_current(fs, 0);
		if (!t || thread_prepare(t, uc)) {
			pr_warn_once("runtime: cannot set up a thread for enclave entry");
			report_exception(uc, X86_TRAP_GP, 0, 0, 0, 0);
			goto out;
		}
		ret = host_enclu(t, uc);
		goto out;
	}

	if (sig == SGX_IPI_SIGNAL) {
		if (t)
			sgx_runtime_ipi_ack(t);
		goto out;
	}

	/* CPUID at a --patch-cpuid site, or under CPUID faulting. */
	if ((sig == SIGILL || sig == SIGSEGV) && sgx_cpuid_trap(sig, info, uc))
		goto out;

	/* Host code touching an enclave page that is not mapped yet. */
	if (sig == SIGBUS && info->si_code == BUS_ADRERR) {
		unsigned int access = access_from_error_code((uint32_t)g[REG_ERR]);

		switch (sgx_mm_fault((uint64_t)info->si_addr, access)) {
		case SGX_MM_FAULT_MAPPED:
			goto out;
		case SGX_MM_FAULT_HWPOISON:
			report_memory_failure(uc);
			goto out;
		case SGX_MM_FAULT_NO_ACCESS:
			/*
			 * Hardware would show host code the abort page (reads all ones, writes
			 * dropped); one page table cannot do that for a page the enclave itself may
			 * not touch, so the host gets the kernel's SIGBUS instead (docs/internals.md).
			 */
		case SGX_MM_FAULT_SIGBUS:
		case SGX_MM_FAULT_NOT_OURS:
			break;
		}
	}

	sgx_deliver_to_app(sig, info, uc);
out:
	errno = saved_errno;
	return ret;
}
