/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's code, run natively on a minimal stand-in for SGX built into this test, so
 * that its entry contract, operations and exception handler are checked before (and independently
 * of) sgxemu's runtime. The stand-in does only what the architecture defines and the enclave
 * relies on (ref/sgx-isa.md §8): EENTER (RAX = CSSA, RCX = the next instruction, URSP/URBP into the
 * SSA, GS base from the TCS), EEXIT (RIP = RBX, RCX = AEP), AEX (GPRSGX, EXITINFO, EXINFO and the
 * legacy XSAVE area into SSA[CSSA], the synthetic state, CSSA++) and ERESUME (everything back from
 * SSA[CSSA-1], CSSA--). ENCLU traps as SIGILL on this CPU; faults in "enclave mode" are AEXes.
 * There is no EPCM here: pages get ordinary mprotect permissions, and the SGX leaves other than
 * EENTER/ERESUME/EEXIT are not emulated (sgxemu's own tests cover those).
 *
 * Single-threaded by design: the stand-in keeps its state in globals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/prctl.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <sgxemu/arch.h>
#include <sgxemu/pack.h>
#include <sgxemu/sgxs.h>

#include "../../enclave/test_enclave_abi.h"

#define PAGE 4096ULL
#define ELF_PATH SGXEMU_BUILD_DIR "/enclave/test_enclave.elf"
#define NTHREADS 2
#define MAX_AEX 64

/* ASan must let this test own SIGSEGV/SIGILL/SIGFPE/SIGTRAP. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=1:handle_segv=0:handle_sigill=0:handle_sigfpe=0";
}

/* --- the trampoline ----------------------------------------------------------------------- */

/*
 * mini_sgx_enclu(leaf, tcs, rdi, rsi): one ENCLU (EENTER or ERESUME) with known values in the
 * registers the enclave must preserve; returns 0 after EEXIT (with what the enclave left in the
 * registers in mini_sgx_tramp), 1 after an AEX (the AEP).
 */
struct mini_sgx_tramp {
	uint64_t host_rsp;
	uint64_t exit_rdi, exit_rsi, exit_rdx, exit_r8, exit_r9, exit_r10, exit_r11;
	uint64_t exit_r12, exit_r13, exit_r14, exit_r15, exit_rsp, exit_rbp;
	uint64_t entry_rsp, entry_rbp;
};
struct mini_sgx_tramp mini_sgx_tramp;
uint64_t mini_sgx_enclu(uint64_t leaf, uint64_t tcs, uint64_t rdi, uint64_t rsi);

__asm__("	.pushsection .text\n"
	"	.globl mini_sgx_enclu\n"
	"	.type mini_sgx_enclu, @function\n"
	"mini_sgx_enclu:\n"
	"	push	%rbx\n"
	"	push	%rbp\n"
	"	push	%r12\n"
	"	push	%r13\n"
	"	push	%r14\n"
	"	push	%r15\n"
	"	mov	%rsp, mini_sgx_tramp+0(%rip)\n"
	"	mov	%rdi, %rax\n"
	"	mov	%rsi, %rbx\n"
	"	mov	%rdx, %rdi\n"
	"	mov	%rcx, %rsi\n"
	"	movabs	$0x1212121212121212, %r12\n"
	"	movabs	$0x1313131313131313, %r13\n"
	"	movabs	$0x1414141414141414, %r14\n"
	"	movabs	$0x1515151515151515, %r15\n"
	"	movabs	$0xbbbbbbbbbbbbbbbb, %rbp\n"
	"	mov	%rsp, mini_sgx_tramp+112(%rip)\n"
	"	mov	%rbp, mini_sgx_tramp+120(%rip)\n"
	"	lea	.Laep(%rip), %rcx\n"
	"	enclu\n"
	"	/* EEXIT */\n"
	"	mov	%rdi, mini_sgx_tramp+8(%rip)\n"
	"	mov	%rsi, mini_sgx_tramp+16(%rip)\n"
	"	mov	%rdx, mini_sgx_tramp+24(%rip)\n"
	"	mov	%r8, mini_sgx_tramp+32(%rip)\n"
	"	mov	%r9, mini_sgx_tramp+40(%rip)\n"
	"	mov	%r10, mini_sgx_tramp+48(%rip)\n"
	"	mov	%r11, mini_sgx_tramp+56(%rip)\n"
	"	mov	%r12, mini_sgx_tramp+64(%rip)\n"
	"	mov	%r13, mini_sgx_tramp+72(%rip)\n"
	"	mov	%r14, mini_sgx_tramp+80(%rip)\n"
	"	mov	%r15, mini_sgx_tramp+88(%rip)\n"
	"	mov	%rsp, mini_sgx_tramp+96(%rip)\n"
	"	mov	%rbp, mini_sgx_tramp+104(%rip)\n"
	"	xor	%eax, %eax\n"
	"	jmp	.Lout\n"
	".Laep:\n"
	"	mov	$1, %eax\n"
	".Lout:\n"
	"	mov	mini_sgx_tramp+0(%rip), %rsp\n"
	"	pop	%r15\n"
	"	pop	%r14\n"
	"	pop	%r13\n"
	"	pop	%r12\n"
	"	pop	%rbp\n"
	"	pop	%rbx\n"
	"	ret\n"
	"	.size mini_sgx_enclu, . - mini_sgx_enclu\n"
	"	.popsection\n");

/* --- the stand-in ------------------------------------------------------------------------- */

static struct {
	uint8_t *reservation;
	size_t reservation_len;
	uint64_t base, size;
	struct sgxemu_pack_layout layout;
	uint64_t frame_bytes;
	uint32_t cssa[NTHREADS];
	bool in_enclave;
	unsigned int cur;
	uint64_t aep;
	uint64_t host_gs;
	unsigned int aex_count;
	int64_t last_handler_status;
	struct te_args handler_args;
	uint8_t *altstack;
} h;

static const int gpr_regs[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8,	 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void set_gs(uint64_t base)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

static struct sgx_tcs *tcs_of(unsigned int t)
{
	return (struct sgx_tcs *)(h.base + h.layout.threads[t].tcs);
}

static uint8_t *frame_of(unsigned int t, uint32_t index)
{
	return (uint8_t *)(h.base + tcs_of(t)->ossa + index * h.frame_bytes);
}

static struct sgx_gprsgx *gpr_of(uint8_t *frame)
{
	return (struct sgx_gprsgx *)(frame + h.frame_bytes - SGX_SSA_GPRS_SIZE);
}

static unsigned int thread_of(uint64_t tcs)
{
	for (unsigned int t = 0; t < NTHREADS; t++)
		if (h.base + h.layout.threads[t].tcs == tcs)
			return t;
	abort();
}

static void emulate_enclu(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t leaf = (uint32_t)g[REG_RAX];

	if (!h.in_enclave && (leaf == EENTER || leaf == ERESUME)) {
		unsigned int t = thread_of((uint64_t)g[REG_RBX]);
		struct sgx_tcs *tcs = tcs_of(t);

		h.cur = t;
		h.aep = (uint64_t)g[REG_RCX];
		h.in_enclave = true;
		if (leaf == EENTER) {
			struct sgx_gprsgx *gpr = gpr_of(frame_of(t, h.cssa[t]));

			if (h.cssa[t] >= tcs->nssa)
				abort(); /* #GP on hardware; never expected here */
			gpr->ursp = (uint64_t)g[REG_RSP];
			gpr->urbp = (uint64_t)g[REG_RBP];
			g[REG_RCX] = g[REG_RIP] + 3;
			g[REG_RAX] = h.cssa[t];
			g[REG_RIP] = (greg_t)(h.base + tcs->oentry);
			set_gs(h.base + tcs->ogsbase);
		} else {
			uint8_t *frame = frame_of(t, h.cssa[t] - 1);
			struct sgx_gprsgx *gpr = gpr_of(frame);

			for (int i = 0; i < 16; i++)
				g[gpr_regs[i]] = (greg_t)(&gpr->rax)[i];
			g[REG_EFL] = (greg_t)gpr->rflags;
			g[REG_RIP] = (greg_t)gpr->rip;
			memcpy(uc->uc_mcontext.fpregs, frame, 512);
			h.cssa[t]--;
			set_gs(gpr->gsbase);
		}
		return;
	}
	if (h.in_enclave && leaf == EEXIT) {
		g[REG_RIP] = g[REG_RBX];
		g[REG_RCX] = (greg_t)h.aep;
		h.in_enclave = false;
		set_gs(h.host_gs);
		return;
	}
	abort();
}

static void aex(ucontext_t *uc, uint8_t vector, uint32_t type, uint32_t errcd, uint64_t maddr)
{
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned int t = h.cur;
	uint8_t *frame = frame_of(t, h.cssa[t]);
	struct sgx_gprsgx *gpr = gpr_of(frame);
	struct sgx_exinfo *exinfo = (struct sgx_exinfo *)((uint8_t *)gpr - sizeof(*exinfo));

	for (int i = 0; i < 16; i++)
		(&gpr->rax)[i] = (uint64_t)g[gpr_regs[i]];
	gpr->rflags = (uint64_t)g[REG_EFL];
	gpr->rip = (uint64_t)g[REG_RIP];
	gpr->exitinfo = SGX_EXITINFO_VALID | type << SGX_EXITINFO_TYPE_SHIFT | vector;
	gpr->fsbase = 0;
	gpr->gsbase = h.base + tcs_of(t)->ogsbase;
	exinfo->maddr = maddr;
	exinfo->errcd = errcd;
	memcpy(frame, uc->uc_mcontext.fpregs, 512);
	memset(frame + 512, 0, 64);
	*(uint64_t *)(frame + 512) = 0x3;

	for (int i = 0; i < 16; i++)
		g[gpr_regs[i]] = 0;
	g[REG_RAX] = ERESUME;
	g[REG_RBX] = (greg_t)(h.base + h.layout.threads[t].tcs);
	g[REG_RCX] = (greg_t)h.aep;
	g[REG_RIP] = (greg_t)h.aep;
	g[REG_RSP] = (greg_t)gpr->ursp;
	g[REG_RBP] = (greg_t)gpr->urbp;
	h.cssa[t]++;
	h.in_enclave = false;
	set_gs(h.host_gs);
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)g[REG_RIP];

	if (sig == SIGILL && ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xd7) {
		emulate_enclu(uc);
		return;
	}
	if (!h.in_enclave) {
		signal(sig, SIG_DFL); /* a real crash of the test: let it happen */
		return;
	}
	switch (sig) {
	case SIGILL:
		aex(uc, X86_TRAP_UD, SGX_EXITINFO_TYPE_HW, 0, 0);
		break;
	case SIGFPE:
		aex(uc, X86_TRAP_DE, SGX_EXITINFO_TYPE_HW, 0, 0);
		break;
	case SIGTRAP:
		aex(uc, X86_TRAP_BP, SGX_EXITINFO_TYPE_SW, 0, 0);
		break;
	case SIGSEGV:
		if (g[REG_TRAPNO] == X86_TRAP_PF)
			aex(uc, X86_TRAP_PF, SGX_EXITINFO_TYPE_HW, (uint32_t)g[REG_ERR],
			    (uint64_t)si->si_addr);
		else
			aex(uc, (uint8_t)g[REG_TRAPNO], SGX_EXITINFO_TYPE_HW, (uint32_t)g[REG_ERR],
			    0);
		break;
	default:
		abort();
	}
}

/* Runs EENTER/ERESUME; after an AEX runs the second phase and ERESUMEs, as an urts would. */
static int64_t run(uint64_t tcs, uint64_t leaf, uint64_t rdi, uint64_t rsi)
{
	for (;;) {
		if (!mini_sgx_enclu(leaf, tcs, rdi, rsi))
			return (int64_t)mini_sgx_tramp.exit_rdi;
		if (++h.aex_count > MAX_AEX)
			fail_msg("more than %d AEXes: a fault the handler does not resolve",
				 MAX_AEX);
		memset(&h.handler_args, 0, sizeof(h.handler_args));
		h.last_handler_status = run(tcs, EENTER, 0, (uint64_t)&h.handler_args);
		if (h.last_handler_status != TE_EXC_HANDLED &&
		    h.last_handler_status != TE_EXC_RECORDED)
			return -1;
		leaf = ERESUME;
	}
}

static uint64_t tcs_addr(unsigned int t)
{
	return h.base + h.layout.threads[t].tcs;
}

static void install_handlers(void);

static int64_t call(unsigned int t, uint64_t op, struct te_args *a)
{
	install_handlers();
	return run(tcs_addr(t), EENTER, op, (uint64_t)a);
}

/*
 * This stand-in owns the trap signals itself, so it must reach the C library's sigaction, not
 * the one sgxemu's runtime interposes (which would route SIGILL at an ENCLU to the real
 * emulation).
 */
static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static int (*real)(int, const struct sigaction *, struct sigaction *);

	if (!real)
		real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT,
											   "sigaction");
	return real(sig, act, old);
}

/* cmocka installs its own handlers around every test and fixture, so every call does this. */
static void install_handlers(void)
{
	struct sigaction sa;
	stack_t ss;

	ss.ss_sp = h.altstack;
	ss.ss_size = 1 << 16;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	libc_sigaction(SIGILL, &sa, NULL);
	libc_sigaction(SIGSEGV, &sa, NULL);
	libc_sigaction(SIGFPE, &sa, NULL);
	libc_sigaction(SIGTRAP, &sa, NULL);
}

static int setup(void **state)
{
	struct sgxemu_pack_options o;
	struct sgxemu_sgxs_reader *r;
	struct sgxemu_sgxs_page *pg = malloc(sizeof(*pg));
	char *buf = NULL, err[512];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	uint64_t addr;

	sgxemu_pack_options_default(&o);
	o.threads = NTHREADS;
	o.nssa = 3;
	o.heap_size = 16 * PAGE;
	o.reserve_size = 16 * PAGE;
	if (sgxemu_pack_elf_file(ELF_PATH, &o, out, &h.layout, err, sizeof(err)))
		return fprintf(stderr, "%s\n", err), -1;
	fclose(out);
	h.size = h.layout.size;
	h.frame_bytes = h.layout.ssa_frame_size * PAGE;
	h.reservation_len = 2 * h.size;
	h.reservation =
		mmap(NULL, h.reservation_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h.reservation == MAP_FAILED)
		return -1;
	addr = (uint64_t)h.reservation;
	h.base = (addr + h.size - 1) & ~(h.size - 1);

	r = sgxemu_sgxs_open_mem(buf, len, 0, err, sizeof(err));
	if (!r)
		return -1;
	while (sgxemu_sgxs_next_page(r, pg, err, sizeof(err)) == 1) {
		void *p = (void *)(h.base + pg->offset);
		int prot = sgx_secinfo_page_type(pg->secinfo_flags) == SGX_PAGE_TYPE_TCS
				   ? PROT_READ | PROT_WRITE
				   : (int)(pg->secinfo_flags & 7);

		mprotect(p, PAGE, PROT_READ | PROT_WRITE);
		memcpy(p, pg->data, PAGE);
		mprotect(p, PAGE, prot);
	}
	sgxemu_sgxs_close(r);
	free(pg);
	free(buf);

	syscall(SYS_arch_prctl, ARCH_GET_GS, &h.host_gs);
	h.altstack = malloc(1 << 16);
	return 0;
}

static int teardown(void **state)
{
	munmap(h.reservation, h.reservation_len);
	free(h.altstack);
	sgxemu_pack_layout_free(&h.layout);
	return 0;
}

static int reset(void **state)
{
	struct te_args a = { 0 };

	h.aex_count = 0;
	a.u.policy.action = TE_ACTION_RECORD;
	assert_int_equal(call(0, TE_OP_SET_POLICY, &a), TE_OK);
	memset(&a, 0, sizeof(a));
	a.u.exceptions.clear = 1;
	assert_int_equal(call(0, TE_OP_GET_EXCEPTIONS, &a), TE_OK);
	h.aex_count = 0;
	return 0;
}

/* --- tests ------------------------------------------------------------------------------- */

static void test_echo_and_register_contract(void **state)
{
	struct te_args a = { 0 };

	a.u.echo.a = 40;
	a.u.echo.b = 2;
	assert_int_equal(call(0, TE_OP_ECHO, &a), TE_OK);
	assert_int_equal(a.status, TE_OK);
	assert_int_equal(a.u.echo.echo, 40);
	assert_int_equal(a.u.echo.sum, 42);
	assert_int_equal(a.u.echo.difference, 38);
	assert_int_equal(a.u.echo.product, 80);

	/* What the host finds after EEXIT (test_enclave_abi.h). */
	assert_int_equal(mini_sgx_tramp.exit_rdi, TE_OK);
	assert_int_equal(mini_sgx_tramp.exit_rsp, mini_sgx_tramp.entry_rsp);
	assert_int_equal(mini_sgx_tramp.exit_rbp, mini_sgx_tramp.entry_rbp);
	assert_int_equal(mini_sgx_tramp.exit_r12, 0x1212121212121212ULL);
	assert_int_equal(mini_sgx_tramp.exit_r13, 0x1313131313131313ULL);
	assert_int_equal(mini_sgx_tramp.exit_r14, 0x1414141414141414ULL);
	assert_int_equal(mini_sgx_tramp.exit_r15, 0x1515151515151515ULL);
	assert_int_equal(mini_sgx_tramp.exit_rsi, 0);
	assert_int_equal(mini_sgx_tramp.exit_rdx, 0);
	assert_int_equal(mini_sgx_tramp.exit_r8, 0);
	assert_int_equal(mini_sgx_tramp.exit_r9, 0);
	assert_int_equal(mini_sgx_tramp.exit_r10, 0);
	assert_int_equal(mini_sgx_tramp.exit_r11, 0);
	assert_int_equal(h.cssa[0], 0);
}

static void test_info_and_relocation(void **state)
{
	struct te_args a = { 0 };
	const struct sgxemu_pack_thread *th = &h.layout.threads[1];
	uint64_t entries;

	assert_int_equal(call(1, TE_OP_INFO, &a), TE_OK);
	assert_int_equal(a.u.info.base, h.base);
	assert_int_equal(a.u.info.enclave_size, h.size);
	assert_int_equal(a.u.info.tcs, h.base + th->tcs);
	assert_int_equal(a.u.info.tls, h.base + th->tls);
	assert_int_equal(a.u.info.ssa, h.base + th->ssa);
	assert_int_equal(a.u.info.nssa, 3);
	assert_int_equal(a.u.info.thread_index, 1);
	assert_int_equal(a.u.info.nr_threads, NTHREADS);
	assert_int_equal(a.u.info.stack_top, h.base + th->tls);
	assert_int_equal(a.u.info.stack_bottom, h.base + th->stack);
	assert_int_equal(a.u.info.heap, h.base + h.layout.heap);
	assert_int_equal(a.u.info.image_end, h.base + h.layout.image_end);
	assert_int_equal(a.u.info.cssa, 0);
	/* Relocated exactly once, every entry of .rela.dyn. */
	assert_int_equal(a.u.info.relocations, h.layout.relocations);
	entries = a.u.info.entries;
	assert_int_equal(call(1, TE_OP_INFO, &a), TE_OK);
	assert_int_equal(a.u.info.entries, entries + 1);
	assert_int_equal(a.u.info.relocations, h.layout.relocations);
	assert_true(a.u.info.buffer > h.base && a.u.info.buffer < h.base + h.layout.elf_end);
	assert_int_equal(*(const uint8_t *)a.u.info.ro_page, 0x5a);
}

static void test_buffer_and_memory(void **state)
{
	struct te_args *a = calloc(1, sizeof(*a));
	uint64_t buffer, value = 0x0123456789abcdefULL;

	assert_int_equal(call(0, TE_OP_INFO, a), TE_OK);
	buffer = a->u.info.buffer;
	a->u.buf.offset = 100;
	a->u.buf.len = 300;
	for (int i = 0; i < 300; i++)
		a->u.buf.data[i] = (uint8_t)(i * 7);
	assert_int_equal(call(0, TE_OP_BUF_PUT, a), TE_OK);
	memset(a->u.buf.data, 0, 300);
	a->u.buf.offset = 100;
	a->u.buf.len = 300;
	assert_int_equal(call(1, TE_OP_BUF_GET, a), TE_OK);
	for (int i = 0; i < 300; i++)
		assert_int_equal(a->u.buf.data[i], (uint8_t)(i * 7));
	a->u.buf.offset = TE_BUFFER_SIZE - 10;
	a->u.buf.len = 11;
	assert_int_equal(call(0, TE_OP_BUF_GET, a), TE_ERR_PARAM);

	a->u.mem.addr = buffer + 8;
	a->u.mem.value = value;
	assert_int_equal(call(0, TE_OP_WRITE, a), TE_OK);
	a->u.mem.value = 0;
	assert_int_equal(call(0, TE_OP_READ, a), TE_OK);
	assert_int_equal(a->u.mem.value, value);
	assert_int_equal(*(uint64_t *)(buffer + 8), value);
	free(a);
}

static void test_bad_calls(void **state)
{
	struct te_args a = { 0 };
	struct te_args *inside;

	assert_int_equal(call(0, 0, &a), TE_ERR_OP);
	assert_int_equal(a.status, TE_ERR_OP);
	assert_int_equal(call(0, TE_OP_MAX, &a), TE_ERR_OP);
	/* No argument block, one inside ELRANGE, one wrapping: refused, nothing written. */
	assert_int_equal(call(0, TE_OP_ECHO, NULL), TE_ERR_ARGS);
	assert_int_equal(call(0, TE_OP_INFO, &a), TE_OK);
	inside = (struct te_args *)a.u.info.buffer;
	inside->status = 77;
	assert_int_equal(call(0, TE_OP_ECHO, inside), TE_ERR_ARGS);
	assert_int_equal(inside->status, 77);
	assert_int_equal(call(0, TE_OP_ECHO, (struct te_args *)(h.base - 8)), TE_ERR_ARGS);
	assert_int_equal(call(0, TE_OP_ECHO, (struct te_args *)-16ULL), TE_ERR_ARGS);
}

static void set_policy(uint32_t action, uint32_t flags, uint64_t rax)
{
	struct te_args a = { 0 };

	a.u.policy.action = action;
	a.u.policy.flags = flags;
	a.u.policy.rax = rax;
	assert_int_equal(call(0, TE_OP_SET_POLICY, &a), TE_OK);
}

static void get_exceptions(struct te_exceptions *x)
{
	struct te_args *a = calloc(1, sizeof(*a));

	assert_int_equal(call(0, TE_OP_GET_EXCEPTIONS, a), TE_OK);
	*x = a->u.exceptions;
	free(a);
}

static void check_pattern(const struct te_exc_record *r, uint64_t seed, bool syscall)
{
	const uint64_t *g = &r->gpr.rax;

	for (int i = 1; i < 16; i++) {
		if (i == 4 || (syscall && (i == 1 || i == 11)))
			continue; /* RSP; RCX and R11 after SYSCALL */
		assert_int_equal(g[i], seed + i);
	}
	assert_int_equal(r->xmm0[0], seed);
	assert_int_equal(r->xmm0[1], 0);
}

static void fault(uint64_t kind, uint64_t addr, uint64_t seed, struct te_args *a)
{
	memset(a, 0, sizeof(*a));
	a->u.fault.kind = kind;
	a->u.fault.addr = addr;
	a->u.fault.seed = seed;
	assert_int_equal(call(0, TE_OP_FAULT, a), TE_OK);
}

static void test_ud2_skip_set_rax(void **state)
{
	struct te_exceptions x;
	struct te_args a;
	const struct te_exc_record *r;

	set_policy(TE_ACTION_SKIP, TE_POLICY_SET_RAX, 0xfeedULL);
	fault(TE_FAULT_UD2, 0, 0x1000, &a);
	assert_int_equal(h.aex_count, 1);
	assert_int_equal(h.last_handler_status, TE_EXC_HANDLED);
	assert_int_equal(a.u.fault.rax_out, 0xfeed);
	assert_int_equal(a.u.fault.exceptions, 1);
	assert_int_equal(h.cssa[0], 0);

	get_exceptions(&x);
	assert_int_equal(x.count, 1);
	assert_int_equal(x.total, 1);
	r = &x.rec[0];
	assert_int_equal(r->cssa, 1);
	assert_int_equal(r->outcome, TE_EXC_HANDLED);
	assert_int_equal(r->tcs, tcs_addr(0));
	assert_int_equal(r->gpr.exitinfo, SGX_EXITINFO_VALID | 3 << 8 | X86_TRAP_UD);
	assert_int_equal(r->gpr.rip, a.u.fault.fault_rip);
	assert_int_equal(r->new_rip, a.u.fault.resume_rip);
	assert_int_equal(r->ssa_frame, (uint64_t)frame_of(0, 0));
	assert_int_equal(r->xstate_bv, 3);
	check_pattern(r, 0x1000, false);
	/* The second phase also reported through RSI. */
	assert_int_equal(h.handler_args.status, TE_EXC_HANDLED);
	assert_int_equal(h.handler_args.u.handler.seq, r->seq);
}

static void test_each_fault_kind(void **state)
{
	static const struct {
		uint64_t kind;
		uint8_t vector;
		uint32_t type;
	} kinds[] = {
		{ TE_FAULT_INT3, X86_TRAP_BP, SGX_EXITINFO_TYPE_SW },
		{ TE_FAULT_DIV0, X86_TRAP_DE, SGX_EXITINFO_TYPE_HW },
		{ TE_FAULT_WRITE, X86_TRAP_PF, SGX_EXITINFO_TYPE_HW },
		{ TE_FAULT_READ, X86_TRAP_PF, SGX_EXITINFO_TYPE_HW },
		{ TE_FAULT_GP, X86_TRAP_GP, SGX_EXITINFO_TYPE_HW },
		{ TE_FAULT_EXEC, X86_TRAP_PF, SGX_EXITINFO_TYPE_HW },
	};
	struct te_exceptions x;
	struct te_args a, info = { 0 };

	assert_int_equal(call(0, TE_OP_INFO, &info), TE_OK);
	set_policy(TE_ACTION_SKIP, TE_POLICY_SET_RAX, 0x5eedULL);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct te_exc_record *r;

		fault(kinds[i].kind, 0, 0x100 * (i + 1), &a);
		assert_int_equal(a.u.fault.exceptions, 1);
		assert_int_equal(a.u.fault.rax_out, 0x5eed);
		get_exceptions(&x);
		r = &x.rec[0];
		assert_int_equal(r->gpr.exitinfo,
				 SGX_EXITINFO_VALID | kinds[i].type << 8 | kinds[i].vector);
		assert_int_equal(r->outcome, TE_EXC_HANDLED);
		check_pattern(r, 0x100 * (i + 1), false);
		switch (kinds[i].kind) {
		case TE_FAULT_INT3: /* a trap: the saved RIP is already past it */
			assert_int_equal(r->gpr.rip, a.u.fault.resume_rip);
			break;
		case TE_FAULT_WRITE:
			assert_int_equal(r->exinfo_maddr, info.u.info.ro_page);
			assert_true(r->exinfo_errcd & X86_PF_WRITE);
			assert_int_equal(r->gpr.rip, a.u.fault.fault_rip);
			break;
		case TE_FAULT_READ:
			assert_int_equal(r->exinfo_maddr, info.u.info.image_end);
			assert_false(r->exinfo_errcd & X86_PF_WRITE);
			break;
		case TE_FAULT_EXEC: /* RIP is the target; the handler popped the return address */
			assert_int_equal(r->gpr.rip, info.u.info.ro_page);
			assert_true(r->exinfo_errcd & X86_PF_INSTR);
			assert_int_equal(r->new_rip, a.u.fault.resume_rip);
			break;
		default:
			assert_int_equal(r->gpr.rip, a.u.fault.fault_rip);
		}
	}
	/* syscall and cpuid do not fault outside SGX: they just run. */
	fault(TE_FAULT_CPUID, 0, 0, &a);
	assert_int_equal(a.u.fault.exceptions, 0);
	fault(TE_FAULT_SYSCALL, 0, 0, &a);
	assert_int_equal(a.u.fault.exceptions, 0);
	assert_int_equal(a.u.fault.rax_out, (uint64_t)getpid());
}

static void test_record_policy(void **state)
{
	struct te_exceptions x;
	struct te_args a;

	/* RECORD leaves the frame alone: int3, a trap, then simply continues. */
	fault(TE_FAULT_INT3, 0, 7, &a);
	assert_int_equal(h.last_handler_status, TE_EXC_RECORDED);
	assert_int_equal(a.u.fault.rax_out, 0);
	get_exceptions(&x);
	assert_int_equal(x.rec[0].outcome, TE_EXC_RECORDED);
	assert_int_equal(x.rec[0].new_rip, 0);
}

static void test_unknown_fault_site(void **state)
{
	struct te_args a = { 0 }, info = { 0 };

	assert_int_equal(call(0, TE_OP_INFO, &info), TE_OK);
	set_policy(TE_ACTION_SKIP, 0, 0);
	/* A fault in TE_OP_WRITE is no fault site: the handler refuses to guess. */
	a.u.mem.addr = info.u.info.ro_page;
	assert_int_equal(call(0, TE_OP_WRITE, &a), -1);
	assert_int_equal(h.last_handler_status, TE_EXC_UNHANDLED);
	/* The thread is stuck with CSSA 1, as on hardware; give its frame back. */
	assert_int_equal(h.cssa[0], 1);
	h.cssa[0] = 0;
}

static void test_nested_exception(void **state)
{
	struct te_exceptions x;
	struct te_args a;

	set_policy(TE_ACTION_SKIP, TE_POLICY_NESTED | TE_POLICY_SET_RAX, 0xabc);
	fault(TE_FAULT_UD2, 0, 0x2000, &a);
	assert_int_equal(h.aex_count, 2);
	assert_int_equal(a.u.fault.rax_out, 0xabc);
	assert_int_equal(h.cssa[0], 0);
	get_exceptions(&x);
	assert_int_equal(x.count, 2);
	/* Newest first: the CSSA = 1 handler finished last, after handling the nested one. */
	assert_int_equal(x.rec[0].cssa, 1);
	assert_int_equal(x.rec[0].gpr.rip, a.u.fault.fault_rip);
	check_pattern(&x.rec[0], 0x2000, false);
	assert_int_equal(x.rec[1].cssa, 2);
	assert_int_equal(x.rec[1].outcome, TE_EXC_HANDLED);
	assert_int_equal(x.rec[1].ssa_frame, (uint64_t)frame_of(0, 1));
	assert_int_equal(x.rec[1].gpr.exitinfo, SGX_EXITINFO_VALID | 3 << 8 | X86_TRAP_UD);
	/* The nested fault happened on the handler's stack, below the interrupted RSP. */
	assert_true(x.rec[1].gpr.rsp < x.rec[0].gpr.rsp - 128);
	assert_true(x.rec[1].gpr.rsp > h.base + h.layout.threads[0].stack);
	/* One-shot: the next fault is not nested. */
	fault(TE_FAULT_UD2, 0, 0, &a);
	get_exceptions(&x);
	assert_int_equal(x.total, 3);
}

static void test_corrupt_xsave(void **state)
{
	struct te_args a;

	set_policy(TE_ACTION_SKIP, TE_POLICY_CORRUPT_XSAVE, 0);
	fault(TE_FAULT_UD2, 0, 0, &a);
	/* The stand-in's ERESUME does not check the header; the byte the CPU would refuse is set. */
	assert_int_equal(frame_of(0, 0)[512 + 16], 1);
	frame_of(0, 0)[512 + 16] = 0;
}

static void test_touch(void **state)
{
	struct te_args a = { 0 };
	uint64_t heap = h.base + h.layout.heap;

	a.u.touch.seed = 99;
	a.u.touch.mode = TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM;
	assert_int_equal(call(0, TE_OP_TOUCH, &a), TE_OK);
	assert_int_equal(a.u.touch.pages_done, h.layout.heap_size / PAGE);
	assert_int_equal(a.u.touch.mismatches, 0);
	/* The host sees the documented pattern. */
	for (uint64_t off = 0; off < h.layout.heap_size; off += 8)
		assert_int_equal(*(uint64_t *)(heap + off), te_pattern(99, h.layout.heap + off));
	/* A corrupted word is found and located. */
	*(uint64_t *)(heap + 3 * PAGE + 16) ^= 1;
	memset(&a, 0, sizeof(a));
	a.u.touch.seed = 99;
	a.u.touch.mode = TE_TOUCH_VERIFY;
	assert_int_equal(call(1, TE_OP_TOUCH, &a), TE_OK);
	assert_int_equal(a.u.touch.mismatches, 1);
	assert_int_equal(a.u.touch.first_mismatch, heap + 3 * PAGE + 16);
	/* Out of ELRANGE or unaligned: refused. */
	a.u.touch.addr = heap + 8;
	a.u.touch.npages = 1;
	assert_int_equal(call(1, TE_OP_TOUCH, &a), TE_ERR_PARAM);
	a.u.touch.addr = h.base + h.size - PAGE;
	a.u.touch.npages = 2;
	assert_int_equal(call(1, TE_OP_TOUCH, &a), TE_ERR_PARAM);
}

static void test_spin(void **state)
{
	struct te_args a = { 0 };
	static volatile uint64_t stop = 1;

	a.u.spin.iterations = 100000;
	a.u.spin.seed = 5;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_OK);
	assert_int_equal(a.u.spin.done, 100000);
	assert_int_equal(a.u.spin.checksum, te_spin_checksum(5, 100000));
	a.u.spin.flags = TE_SPIN_VECTOR;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_OK);
	assert_int_equal(a.u.spin.done, 100000);
	assert_int_equal(a.u.spin.checksum, te_spin_vector_checksum(5, 100000));
	assert_int_not_equal(te_spin_vector_checksum(5, 100000), te_spin_checksum(5, 100000));
	/* A raised stop flag ends both loops at the first check. */
	a.u.spin.stop_addr = (uint64_t)&stop;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_OK);
	assert_int_equal(a.u.spin.done, 1024);
	assert_int_equal(a.u.spin.checksum, te_spin_vector_checksum(5, 1024));
	a.u.spin.flags = 0;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_OK);
	assert_int_equal(a.u.spin.done, 1024);
	assert_int_equal(a.u.spin.checksum, te_spin_checksum(5, 1024));
	a.u.spin.stop_addr = h.base + h.layout.heap;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_ERR_PARAM);
	a.u.spin.stop_addr = 0;
	a.u.spin.flags = 0x80;
	assert_int_equal(call(0, TE_OP_SPIN, &a), TE_ERR_PARAM);
}

static void test_enclu_refuses_eexit(void **state)
{
	struct te_args a = { 0 };

	a.u.enclu.rax = EEXIT;
	assert_int_equal(call(0, TE_OP_ENCLU, &a), TE_ERR_PARAM);
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_echo_and_register_contract),
		T(test_info_and_relocation),
		T(test_buffer_and_memory),
		T(test_bad_calls),
		T(test_ud2_skip_set_rax),
		T(test_each_fault_kind),
		T(test_record_policy),
		T(test_unknown_fault_site),
		T(test_nested_exception),
		T(test_corrupt_xsave),
		T(test_touch),
		T(test_spin),
		T(test_enclu_refuses_eexit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
