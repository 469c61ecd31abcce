// SPDX-License-Identifier: MIT
/*
 * The sgxemu demo: an ordinary host program that loads two enclaves through the Linux SGX uAPI
 * (sgxemu's in-process device API plus the loader of <sgxemu/loader.h>), calls into them through
 * the vDSO's entry contract, and has them attest to each other and seal a secret. Enclave code
 * runs natively; each ENCLU it executes is emulated by sgxemu's software SGX CPU.
 *
 *   hello-host DIR    DIR holds hello_a.{sgxs,sig,elf} and hello_b.{sgxs,sig,elf}
 *
 * Every outcome is checked: the exit status is 0 only if everything the output claims held.
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

static const char secret[] = "The treasure is buried under the old oak tree.";

struct enclave {
	const char *name;
	char path[4096];
	struct sgxemu_enclave *e;
};

static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	fprintf(stderr, "demo: CHECK FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[4][129];
	static unsigned int next;
	char *out = buf[next++ % 4];

	for (size_t i = 0; i < n && i < 64; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	return out;
}

static const char *status_name(int64_t status)
{
	switch (status) {
	case HELLO_OK:
		return "ok";
	case HELLO_ERR_MAC:
		return "MAC mismatch";
	case HELLO_ERR_KEY:
		return "EGETKEY refused the key request";
	case HELLO_ERR_PARAM:
		return "bad parameter";
	case HELLO_ERR_ARGS:
		return "bad argument block";
	case HELLO_ERR_RANDOM:
		return "no random numbers";
	case HELLO_ERR_EXCEPTION:
		return "exception";
	default:
		return "error";
	}
}

/* --- the uAPI, as sgxemu's in-process device API ------------------------------------------ */

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

/* --- ecalls ------------------------------------------------------------------------------- */

/* One ecall on the enclave's first TCS; returns the enclave's status. */
static int64_t ecall(struct enclave *en, enum hello_op op, struct hello_args *args)
{
	struct sgx_enclave_run run;
	int ret;

	memset(&run, 0, sizeof(run));
	run.tcs = en->e->tcs[0];
	ret = hello_enter_enclave(op, (unsigned long)args, 0, EENTER, 0, 0, &run);
	if (ret || run.function != EEXIT) {
		fprintf(stderr,
			"demo: enclave %s: entry returned %d, function %u, exception vector %u at "
			"%#llx\n",
			en->name, ret, run.function, run.exception_vector,
			(unsigned long long)run.exception_addr);
		exit(1);
	}
	return args->status;
}

static void load(struct enclave *en, const char *dir, const char *file)
{
	struct sgxemu_load_params params = { 0 };
	char sgxs[4096], err[512];

	snprintf(sgxs, sizeof(sgxs), "%s/%s.sgxs", dir, file);
	snprintf(en->path, sizeof(en->path), "%s/%s.elf", dir, file);
	params.ops = &sgxemu_ops;
	params.sgxs_path = sgxs; /* the signature is the .sig beside it */
	params.elf_path = en->path;
	if (sgxemu_enclave_load(&params, &en->e, err, sizeof(err))) {
		fprintf(stderr, "demo: cannot load %s: %s\n", sgxs, err);
		exit(1);
	}
	printf("[load]    enclave %s: %s\n", en->name, sgxs);
	printf("          base %#" PRIx64 ", %" PRIu64 " KiB of ELRANGE, %u TCS\n", en->e->base,
	       en->e->size >> 10, en->e->nr_tcs);
}

/* The identity as the CPU reports it: a REPORT for no one carries MRENCLAVE, MRSIGNER, ... */
static void identity(struct enclave *en, struct sgx_report *out)
{
	struct hello_args a;

	memset(&a, 0, sizeof(a));
	check(ecall(en, HELLO_OP_REPORT, &a) == HELLO_OK, "report of %s", en->name);
	memcpy(out, a.u.report.report, sizeof(*out));
	printf("          MRENCLAVE %s\n", hex(out->body.mrenclave, 32));
	printf("          MRSIGNER  %s\n", hex(out->body.mrsigner, 32));
	printf("          ISVPRODID %u, ISVSVN %u, ATTRIBUTES flags %#" PRIx64 " xfrm %#" PRIx64
	       "\n",
	       out->body.isvprodid, out->body.isvsvn, out->body.attributes.flags,
	       out->body.attributes.xfrm);
	check(!memcmp(out->body.mrenclave, en->e->mrenclave, 32),
	      "the CPU's MRENCLAVE of %s is the stream's", en->name);
}

static void greet(struct enclave *en, const char *name, uint64_t expect_calls)
{
	struct hello_args a;

	memset(&a, 0, sizeof(a));
	snprintf(a.u.greet.name, sizeof(a.u.greet.name), "%s", name);
	check(ecall(en, HELLO_OP_GREET, &a) == HELLO_OK, "greet");
	a.u.greet.text[HELLO_TEXT_MAX - 1] = 0;
	printf("[ecall]   %s.greet(\"%s\") -> \"%s\"\n", en->name, name, a.u.greet.text);
	check(a.u.greet.calls == expect_calls, "greeting count %" PRIu64, a.u.greet.calls);
}

/* --- local attestation -------------------------------------------------------------------- */

static void attest(struct enclave *a, struct enclave *b, const struct sgx_report *id_a,
		   const struct sgx_report *id_b)
{
	struct hello_args target, report, verify;
	const char nonce[] = "B's challenge #1";
	int64_t st;

	printf("[attest]  local attestation: A proves its identity to B\n");
	memset(&target, 0, sizeof(target));
	check(ecall(b, HELLO_OP_SELF_TARGET, &target) == HELLO_OK, "B's TARGETINFO");
	printf("          B -> A: TARGETINFO (MEASUREMENT %.16s...)\n",
	       hex(((struct sgx_targetinfo *)target.u.target.targetinfo)->measurement, 32));

	memset(&report, 0, sizeof(report));
	memcpy(report.u.report.targetinfo, target.u.target.targetinfo, 512);
	memcpy(report.u.report.reportdata, nonce, sizeof(nonce));
	check(ecall(a, HELLO_OP_REPORT, &report) == HELLO_OK, "A's EREPORT");
	{
		const struct sgx_report *r = (const struct sgx_report *)report.u.report.report;

		printf("          A -> B: REPORT (MRENCLAVE %.16s..., REPORTDATA \"%s\", MAC %s)\n",
		       hex(r->body.mrenclave, 32), (const char *)r->body.reportdata,
		       hex(r->mac, 16));
		check(!memcmp(r->body.mrenclave, id_a->body.mrenclave, 32), "report names A");
	}

	verify = report;
	st = ecall(b, HELLO_OP_VERIFY, &verify);
	printf("          B: EGETKEY(REPORT) + AES-128-CMAC inside the enclave: %s\n",
	       st == HELLO_OK ? "report verified" : status_name(st));
	check(st == HELLO_OK, "B verifies A's report");

	/* A report with one bit changed: the MAC no longer matches. */
	verify = report;
	verify.u.report.report[320] ^= 0x01; /* REPORTDATA's first byte */
	st = ecall(b, HELLO_OP_VERIFY, &verify);
	printf("          B: the same report with one bit of REPORTDATA flipped: %s\n",
	       st == HELLO_ERR_MAC ? "rejected (MAC mismatch)" : status_name(st));
	check(st == HELLO_ERR_MAC, "a tampered report is rejected");

	/* A report A made for itself is MACed with A's report key: B cannot verify it. */
	memset(&verify, 0, sizeof(verify));
	memset(&target, 0, sizeof(target));
	check(ecall(a, HELLO_OP_SELF_TARGET, &target) == HELLO_OK, "A's TARGETINFO");
	memcpy(verify.u.report.targetinfo, target.u.target.targetinfo, 512);
	check(ecall(a, HELLO_OP_REPORT, &verify) == HELLO_OK, "A's EREPORT for A");
	st = ecall(b, HELLO_OP_VERIFY, &verify);
	printf("          B: a report A made for another target: %s\n",
	       st == HELLO_ERR_MAC ? "rejected (MAC mismatch)" : status_name(st));
	check(st == HELLO_ERR_MAC, "a report for another target is rejected");
	check(!memcmp(id_a->body.mrsigner, id_b->body.mrsigner, 32), "same signer");
}

/* --- sealing ------------------------------------------------------------------------------ */

static void seal(struct enclave *a, struct enclave *b)
{
	struct hello_args sealed, opened;
	struct hello_sealed *blob;
	int64_t st;

	printf("[seal]    A seals a secret (EGETKEY seal key, policy MRENCLAVE; AES-128-GCM)\n");
	memset(&sealed, 0, sizeof(sealed));
	memcpy(sealed.u.seal.secret, secret, sizeof(secret));
	sealed.u.seal.len = sizeof(secret);
	sealed.u.seal.keypolicy = SGX_KEYPOLICY_MRENCLAVE;
	st = ecall(a, HELLO_OP_SEAL, &sealed);
	check(st == HELLO_OK, "seal: %s", status_name(st));
	blob = &sealed.u.seal.sealed;
	printf("          secret:   \"%s\"\n", secret);
	printf("          sealed:   %zu bytes (KEYID %.16s..., IV %s, tag %s)\n",
	       (size_t)HELLO_SEALED_AAD_SIZE + 16 + blob->len, hex(blob->keyid, 32),
	       hex(blob->iv, 12), hex(blob->tag, 16));
	check(!memmem(blob->ciphertext, blob->len, "treasure", 8), "the blob is encrypted");

	opened = sealed;
	memset(opened.u.seal.secret, 0, sizeof(opened.u.seal.secret));
	st = ecall(a, HELLO_OP_UNSEAL, &opened);
	if (st == HELLO_OK) {
		bool same = opened.u.seal.len == sizeof(secret) &&
			    !memcmp(opened.u.seal.secret, secret, sizeof(secret));

		printf("          unsealed: \"%s\" (%s)\n", (const char *)opened.u.seal.secret,
		       same ? "matches the original" : "DIFFERS from the original");
		check(same, "the unsealed secret is the original");
	} else {
		printf("          unseal: %s\n", status_name(st));
		check(false, "A unseals its own blob");
	}

	opened = sealed;
	opened.u.seal.sealed.ciphertext[5] ^= 0x20;
	st = ecall(a, HELLO_OP_UNSEAL, &opened);
	printf("          a tampered blob (one bit of ciphertext flipped): %s\n",
	       st == HELLO_ERR_MAC ? "refused (GCM tag mismatch)" : status_name(st));
	check(st == HELLO_ERR_MAC, "a tampered blob is refused");

	opened = sealed;
	opened.u.seal.sealed.isvsvn = 0;
	st = ecall(a, HELLO_OP_UNSEAL, &opened);
	printf("          a blob whose key request was edited (ISVSVN 1 -> 0): %s\n",
	       st == HELLO_ERR_MAC ? "refused (GCM tag mismatch)" : status_name(st));
	check(st == HELLO_ERR_MAC, "an edited key request is refused");

	opened = sealed;
	st = ecall(b, HELLO_OP_UNSEAL, &opened);
	printf("          enclave B unseals A's blob: %s\n",
	       st == HELLO_ERR_MAC ? "refused (B's MRENCLAVE derives another seal key)"
				   : status_name(st));
	check(st == HELLO_ERR_MAC, "another enclave cannot unseal");
}

/* --- EPC statistics ----------------------------------------------------------------------- */

static void epc_stats(void)
{
	struct sgxemu_stats s;

	if (sgxemu_stats(&s)) {
		check(false, "sgxemu_stats: %s", strerror(errno));
		return;
	}
	printf("[epc]     %" PRIu64 " MiB of EPC in %u section%s: %" PRIu64
	       " pages in use, %" PRIu64 " free\n",
	       s.epc_pages >> 8, s.nr_sections, s.nr_sections == 1 ? "" : "s",
	       s.epc_pages - s.epc_free_pages, s.epc_free_pages);
	printf("          %u enclaves with %" PRIu64 " pages, %" PRIu64 " VA pages\n",
	       s.nr_enclaves, s.enclave_pages, s.va_pages);
	printf("          ENCLS: ECREATE %" PRIu64 ", EADD %" PRIu64 ", EEXTEND %" PRIu64
	       ", EINIT %" PRIu64 "\n",
	       s.encls[ECREATE], s.encls[EADD], s.encls[EEXTEND], s.encls[EINIT]);
	printf("          ENCLU: EEXIT %" PRIu64 ", EREPORT %" PRIu64 ", EGETKEY %" PRIu64
	       ", AEX %" PRIu64 " + ERESUME %" PRIu64 "\n",
	       s.enclu[EEXIT], s.enclu[EREPORT], s.enclu[EGETKEY], s.aex, s.enclu[ERESUME]);
	printf("          (an AEX + ERESUME is a page the enclave touched for the first time:\n"
	       "           the kernel's fault handler mapped it in between)\n");
	check(s.nr_enclaves == 2, "two enclaves");
}

int main(int argc, char **argv)
{
	struct enclave a = { .name = "A" }, b = { .name = "B" };
	struct sgx_report id_a, id_b;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR (with hello_a.sgxs/.sig and hello_b.sgxs/.sig)\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("sgxemu demo: two enclaves on an emulated SGX CPU, their code running natively\n\n");

	load(&a, argv[1], "hello_a");
	identity(&a, &id_a);
	load(&b, argv[1], "hello_b");
	identity(&b, &id_b);
	printf("\n");

	greet(&a, "world", 1);
	greet(&a, "sgxemu", 2);
	greet(&b, "world", 1);
	printf("\n");

	attest(&a, &b, &id_a, &id_b);
	printf("\n");
	seal(&a, &b);
	printf("\n");
	epc_stats();

	sgxemu_enclave_unload(a.e);
	sgxemu_enclave_unload(b.e);
	if (failures) {
		fprintf(stderr, "demo: %d check%s failed\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("\ndemo: all checks passed\n");
	return 0;
}
