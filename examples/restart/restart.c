// SPDX-License-Identifier: MIT
/*
 * "I should restart my enclave": what a host program does when the machine slept and the EPC
 * went with it (ref/linux-sgx-subsystem.md §4.12, seed 000). Real SGX machines lose every enclave
 * on S3/S4 (and a VM on migration); the SDK notices the next entry fault and rebuilds. This
 * example goes through it on sgxemu, with the demo's enclave A (examples/hello):
 *
 *   1. load the enclave, greet twice, seal a secret, make a report for itself;
 *   2. the machine sleeps: sgxemu_platform_suspend() + sgxemu_platform_resume() (a running
 *      program gets the same with SGXEMU_SUSPEND_SIGNAL=USR2 and `kill -USR2 <pid>`);
 *   3. the next ecall comes back from the vDSO with an exception instead of EEXIT: #PF (14) on
 *      EENTER with the SGX bit (15) in the error code, i.e. the EPCM no longer knows the page;
 *   4. the program unloads the dead enclave (nothing leaks) and loads it again: its state starts
 *      over (the greeting count), while data it sealed before the sleep still unseals (seal keys
 *      come from the CPU's fuses, not from the lost EPC). Reports made now carry a new KEYID
 *      (CR_REPORT_KEYID is regenerated at every power cycle); one made before still verifies, as
 *      the target derives the report key with the KEYID the report carries.
 *
 *   restart-host DIR    DIR holds hello_a.{sgxs,sig,elf}
 *
 * The exit status is 0 only if everything the output claims held.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sgxemu/arch.h>
#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "hello_abi.h"

int hello_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
			unsigned int function, unsigned long r8, unsigned long r9,
			struct sgx_enclave_run *run);

#define PF_SGX (1U << 15)

static const char secret[] = "Meet at the usual place at nine.";
static int failures;

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2][65];
	static unsigned int next;
	char *out = buf[next++ % 2];

	for (size_t i = 0; i < n && i < 32; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	return out;
}

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	fprintf(stderr, "restart: CHECK FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int ops_open(void *ctx, const char *path, int flags)
{
	return sgxemu_open(path, flags);
}

static int ops_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg);
}

static void *ops_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return sgxemu_mmap(addr, len, prot, flags, fd, off);
}

static int ops_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	return sgxemu_mprotect(addr, len, prot);
}

static int ops_munmap(void *ctx, void *addr, size_t len)
{
	return sgxemu_munmap(addr, len);
}

static int ops_close(void *ctx, int fd)
{
	return sgxemu_close(fd);
}

static const struct sgxemu_loader_ops sgxemu_ops = {
	.open = ops_open,
	.ioctl = ops_ioctl,
	.mmap = ops_mmap,
	.mprotect = ops_mprotect,
	.munmap = ops_munmap,
	.close = ops_close,
};

static struct sgxemu_enclave *load(const char *dir)
{
	struct sgxemu_load_params params = { 0 };
	char sgxs[4096], elf[4096], err[512];
	struct sgxemu_enclave *e;

	snprintf(sgxs, sizeof(sgxs), "%s/hello_a.sgxs", dir);
	snprintf(elf, sizeof(elf), "%s/hello_a.elf", dir);
	params.ops = &sgxemu_ops;
	params.sgxs_path = sgxs;
	params.elf_path = elf;
	if (sgxemu_enclave_load(&params, &e, err, sizeof(err))) {
		fprintf(stderr, "restart: cannot load %s: %s\n", sgxs, err);
		exit(1);
	}
	printf("[load]    enclave A at %#" PRIx64 " (%u TCS)\n", e->base, e->nr_tcs);
	return e;
}

/*
 * One ecall. Returns true and the enclave's status in *status after an EEXIT; false if the vDSO
 * reported an exception instead, with the report in *run: what the SDK inspects to decide that
 * the enclave is gone.
 */
static bool ecall(struct sgxemu_enclave *e, enum hello_op op, struct hello_args *args,
		  int64_t *status, struct sgx_enclave_run *run)
{
	int ret;

	memset(run, 0, sizeof(*run));
	run->tcs = e->tcs[0];
	ret = hello_enter_enclave(op, (unsigned long)args, 0, EENTER, 0, 0, run);
	if (ret) {
		fprintf(stderr, "restart: the vDSO call failed: %d\n", ret);
		exit(1);
	}
	if (run->function != EEXIT)
		return false;
	*status = args->status;
	return true;
}

static bool enclave_lost(const struct sgx_enclave_run *run)
{
	return run->function == EENTER && run->exception_vector == 14 &&
	       (run->exception_error_code & PF_SGX);
}

/* Greets; returns false (and says why) if the enclave is gone. */
static bool greet(struct sgxemu_enclave *e, uint64_t expect_calls)
{
	struct sgx_enclave_run run;
	struct hello_args a;
	int64_t st;

	memset(&a, 0, sizeof(a));
	snprintf(a.u.greet.name, sizeof(a.u.greet.name), "%s", "again");
	if (!ecall(e, HELLO_OP_GREET, &a, &st, &run)) {
		printf("[ecall]   A.greet -> the vDSO reports an exception: function %s, vector "
		       "%u, "
		       "error code %#x, address %#llx\n",
		       run.function == EENTER ? "EENTER" : "ERESUME", run.exception_vector,
		       run.exception_error_code, (unsigned long long)run.exception_addr);
		check(enclave_lost(&run), "the loss is a #PF with the SGX bit on EENTER");
		return false;
	}
	check(st == HELLO_OK, "greet");
	a.u.greet.text[HELLO_TEXT_MAX - 1] = 0;
	printf("[ecall]   A.greet -> \"%s\" (greeting #%" PRIu64 ")\n", a.u.greet.text,
	       a.u.greet.calls);
	check(a.u.greet.calls == expect_calls, "greeting count %" PRIu64 ", expected %" PRIu64,
	      a.u.greet.calls, expect_calls);
	return true;
}

static void must_call(struct sgxemu_enclave *e, enum hello_op op, struct hello_args *a, int64_t *st,
		      const char *what)
{
	struct sgx_enclave_run run;

	if (!ecall(e, op, a, st, &run)) {
		check(false, "%s: exception %u", what, run.exception_vector);
		*st = -1;
	}
}

int main(int argc, char **argv)
{
	struct hello_args sealed, report, old_report, target, check_args;
	struct sgxemu_enclave *e;
	struct sgxemu_stats before, after;
	int64_t st;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR (with hello_a.sgxs/.sig/.elf)\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("sgxemu example: the machine sleeps, the EPC is lost, the enclave is rebuilt\n\n");

	e = load(argv[1]);
	greet(e, 1);
	greet(e, 2);

	memset(&sealed, 0, sizeof(sealed));
	memcpy(sealed.u.seal.secret, secret, sizeof(secret));
	sealed.u.seal.len = sizeof(secret);
	sealed.u.seal.keypolicy = SGX_KEYPOLICY_MRENCLAVE;
	must_call(e, HELLO_OP_SEAL, &sealed, &st, "seal");
	check(st == HELLO_OK, "seal");
	printf("[seal]    A seals \"%s\" (policy MRENCLAVE); the blob stays outside\n", secret);

	memset(&target, 0, sizeof(target));
	must_call(e, HELLO_OP_SELF_TARGET, &target, &st, "target");
	memset(&report, 0, sizeof(report));
	memcpy(report.u.report.targetinfo, target.u.target.targetinfo, 512);
	memcpy(report.u.report.reportdata, "before the sleep", 17);
	must_call(e, HELLO_OP_REPORT, &report, &st, "report");
	check(st == HELLO_OK, "report");
	printf("[report]  A makes a REPORT for itself\n\n");

	check(!sgxemu_stats(&before), "statistics");
	printf("[sleep]   the machine suspends and resumes (sgxemu_platform_suspend/resume):\n"
	       "          every EPCM entry is invalid now, the paging and report keys are new\n");
	check(!sgxemu_platform_suspend(), "suspend: %s", strerror(errno));
	check(!sgxemu_platform_resume(), "resume: %s", strerror(errno));
	printf("\n");

	if (!greet(e, 3)) {
		printf("[restart] the enclave is gone: unload it (nothing leaks), load it again\n");
		sgxemu_enclave_unload(e);
		e = load(argv[1]);
		greet(e, 1);
	} else {
		check(false, "the enclave survived the power cycle");
	}

	check_args = sealed;
	memset(check_args.u.seal.secret, 0, sizeof(check_args.u.seal.secret));
	must_call(e, HELLO_OP_UNSEAL, &check_args, &st, "unseal");
	printf("[unseal]  the blob sealed before the sleep: %s\n",
	       st == HELLO_OK ? (const char *)check_args.u.seal.secret : "refused");
	check(st == HELLO_OK && !memcmp(check_args.u.seal.secret, secret, sizeof(secret)),
	      "the secret sealed before the sleep unseals");

	check_args = report;
	must_call(e, HELLO_OP_VERIFY, &check_args, &st, "verify");
	printf("[verify]  the report made before the sleep: %s\n",
	       st == HELLO_OK ? "verified (the key comes with the KEYID the report carries)"
			      : "refused");
	check(st == HELLO_OK, "an old report verifies on the same machine");
	old_report = report;
	must_call(e, HELLO_OP_REPORT, &report, &st, "report");
	check_args = report;
	must_call(e, HELLO_OP_VERIFY, &check_args, &st, "verify");
	printf("[verify]  a report made now: %s, KEYID %s (before the sleep: %s)\n",
	       st == HELLO_OK ? "verified" : "refused",
	       hex(((struct sgx_report *)report.u.report.report)->keyid, 8),
	       hex(((struct sgx_report *)old_report.u.report.report)->keyid, 8));
	check(st == HELLO_OK, "a new report verifies");
	check(memcmp(((struct sgx_report *)report.u.report.report)->keyid,
		     ((struct sgx_report *)old_report.u.report.report)->keyid, 32),
	      "the power cycle regenerated the report KEYID");

	sgxemu_enclave_unload(e);
	check(!sgxemu_stats(&after), "statistics");
	printf("\n[epc]     power cycles %" PRIu64 " -> %" PRIu64 ", %" PRIu64
	       " pages free before and %" PRIu64 " after (none leaked)\n",
	       before.power_cycles, after.power_cycles, before.epc_free_pages,
	       after.epc_free_pages);
	check(after.power_cycles == before.power_cycles + 1, "one power cycle");
	check(after.epc_free_pages == after.epc_pages, "every EPC page is free again");

	if (failures) {
		fprintf(stderr, "restart: %d check%s failed\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("\nrestart: all checks passed\n");
	return 0;
}
