/* SPDX-License-Identifier: MIT */
/*
 * The Intel urts pattern, unmodified: enter with a bare ENCLU (no vDSO), and handle enclave
 * exceptions in the program's own signal handlers: the handler finds RIP = the AEP and RAX =
 * ERESUME, EENTERs the same TCS (the "second phase", CSSA 1) so the enclave's handler can fix the
 * SSA, and returns; the AEP's ENCLU then resumes the enclave. Written against libc, <asm/sgx.h>
 * and the test enclave's ABI only. Prints "ok: ..." lines, exits 0; "FAIL: ..." and 1; 3 without
 * SGX.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "app.h"

#define CHECK(cond, ...)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			printf("FAIL: %s:%d: ", __FILE__, __LINE__);                         \
			printf(__VA_ARGS__);                                                 \
			printf("\n");                                                        \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

static struct {
	int count, sig, code;
	uint64_t addr, rip, rax, rbx, trapno;
	int64_t phase2;
} seen;

static void on_exception(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct te_args phase2;

	seen.count++;
	seen.sig = sig;
	seen.code = si->si_code;
	seen.addr = (uint64_t)si->si_addr;
	seen.rip = (uint64_t)g[REG_RIP];
	seen.rax = (uint64_t)g[REG_RAX];
	seen.rbx = (uint64_t)g[REG_RBX];
	seen.trapno = (uint64_t)g[REG_TRAPNO];
	if (seen.rip != (uint64_t)app_raw_aep || seen.rax != SGX_ENCLU_ERESUME) {
		/* Not an enclave exception: what a real urts does, give up. */
		signal(sig, SIG_DFL);
		return;
	}
	/* Second phase on the faulting TCS; returning resumes at the AEP (ERESUME). */
	memset(&phase2, 0, sizeof(phase2));
	app_raw_eenter(seen.rbx, 0, &phase2);
	seen.phase2 = phase2.status;
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_exception;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* sig2: another signal the kernel may answer with (0: none). */
static void fault(struct app_enclave *e, unsigned int kind, uint64_t addr, int sig, int sig2,
		  uint64_t trapno, const char *what)
{
	struct te_args args;

	memset(&seen, 0, sizeof(seen));
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = kind;
	args.u.fault.addr = addr;
	args.u.fault.seed = 0x3000;
	CHECK(app_raw_eenter(e->tcs[0], TE_OP_FAULT, &args) == TE_OK, "%s: op status %lld", what,
	      (long long)args.status);
	CHECK(seen.count == 1 && (seen.sig == sig || (sig2 && seen.sig == sig2)) &&
		      seen.rbx == e->tcs[0] && seen.trapno == trapno,
	      "%s: count %d sig %d trapno %llu", what, seen.count, seen.sig,
	      (unsigned long long)seen.trapno);
	CHECK(seen.phase2 == TE_EXC_HANDLED, "%s: second phase %lld", what,
	      (long long)seen.phase2);
	printf("ok: %s: signal %d at the AEP, second phase handled it, ERESUME finished the op\n",
	       what, seen.sig);
}

int main(void)
{
	struct app_enclave e;
	struct te_args args;
	struct te_info info;
	char err[512], sgxs[4096], sig[4096];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(sgxs, sizeof(sgxs), "%s/test_enclave.sgxs", app_dir());
	snprintf(sig, sizeof(sig), "%s/test_enclave.sig", app_dir());
	ret = app_load(sgxs, sig, true, &e, err, sizeof(err));
	if (ret == -ENOENT && strstr(err, "open /dev/sgx_enclave")) {
		printf("no SGX: %s\n", err);
		return 3;
	}
	CHECK(!ret, "load: %s", err);

	/* Plain calls with a bare ENCLU: RDI at EEXIT is the status. */
	memset(&args, 0, sizeof(args));
	CHECK(app_raw_eenter(e.tcs[0], TE_OP_INFO, &args) == TE_OK, "info");
	info = args.u.info;
	CHECK(info.base == e.base, "info base");
	memset(&args, 0, sizeof(args));
	args.u.echo.a = 6;
	args.u.echo.b = 7;
	CHECK(app_raw_eenter(e.tcs[1], TE_OP_ECHO, &args) == TE_OK && args.u.echo.product == 42,
	      "echo");
	printf("ok: raw EENTER/EEXIT (info, echo)\n");

	memset(&args, 0, sizeof(args));
	args.u.policy.action = TE_ACTION_SKIP;
	CHECK(app_raw_eenter(e.tcs[0], TE_OP_SET_POLICY, &args) == TE_OK, "policy");

	install();
	fault(&e, TE_FAULT_UD2, 0, SIGILL, 0, 6, "ud2 (#UD)");
	fault(&e, TE_FAULT_DIV0, 0, SIGFPE, 0, 0, "divide by zero (#DE)");
	fault(&e, TE_FAULT_WRITE, info.ro_page + 0x10, SIGSEGV, 0, 14,
	      "write to a read-only page (#PF)");
	CHECK(seen.addr == info.ro_page, "#PF si_addr %#llx is not the page",
	      (unsigned long long)seen.addr);
	/*
	 * The kernel's fault handler answers SIGBUS without SGX2; with it, the page is EAUGed and
	 * the access meets a PENDING page: an EPCM #PF, SIGSEGV.
	 */
	fault(&e, TE_FAULT_READ, info.image_end + 0x20, SIGBUS, SIGSEGV, 14,
	      "read of a page-less ELRANGE address");
	app_unload(&e);
	return 0;
}
