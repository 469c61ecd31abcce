/* SPDX-License-Identifier: MIT */
/* `sgxemu verify FILE.sig [FILE.sgxs]`: check a SIGSTRUCT as EINIT will, and show it. */
#include <stdio.h>

#include <sgxemu/sgxs.h>
#include <sgxemu/verify.h>

#include "cli.h"
#include "cpu/sigstruct.h"

static void print_hex_line(const char *name, const uint8_t *p, size_t n)
{
	printf("%s ", name);
	cli_print_hex(stdout, p, n);
	putchar('\n');
}

static void print_attributes(const char *name, const struct sgx_attributes *a, bool mask)
{
	printf("%s flags 0x%llx (", name, (unsigned long long)a->flags);
	/* A mask is mostly ones: name what it leaves out. */
	if (mask && a->flags == ~0ULL) {
		printf("all");
	} else if (mask && __builtin_popcountll(~a->flags) < __builtin_popcountll(a->flags)) {
		printf("all but ");
		cli_print_attribute_flags(stdout, ~a->flags);
	} else {
		cli_print_attribute_flags(stdout, a->flags);
	}
	printf(") xfrm 0x%llx\n", (unsigned long long)a->xfrm);
}

static void print_sigstruct(const struct sgx_sigstruct *sig, bool hash_checked)
{
	uint8_t mrsigner[32];
	uint32_t d = sig->header.date;

	sgx_sigstruct_mrsigner(sig, mrsigner);
	print_hex_line("mrsigner", mrsigner, sizeof(mrsigner));
	printf("enclavehash ");
	cli_print_hex(stdout, sig->body.enclavehash, 32);
	printf(hash_checked ? " (matches the stream)\n" : " (not checked: no stream given)\n");
	print_attributes("attributes", &sig->body.attributes, false);
	print_attributes("attributes-mask", &sig->body.attributes_mask, true);
	printf("miscselect 0x%x\n", sig->body.miscselect);
	printf("miscselect-mask 0x%x\n", sig->body.misc_mask);
	printf("isvprodid %u\n", sig->body.isvprodid);
	printf("isvsvn %u\n", sig->body.isvsvn);
	print_hex_line("isvfamilyid", sig->body.isvfamilyid, 16);
	print_hex_line("isvextprodid", sig->body.isvextprodid, 16);
	printf("vendor 0x%x%s\n", sig->header.vendor,
	       sig->header.vendor == SGX_SIGSTRUCT_VENDOR_INTEL ? " (Intel)" : "");
	/* BCD yyyymmdd, printed as stored: a nibble above 9 shows as a hex digit. */
	printf("date %04x-%02x-%02x\n", d >> 16, (d >> 8) & 0xff, d & 0xff);
	printf("swdefined 0x%x\n", sig->header.swdefined);
}

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sgx_sigstruct sig;
	const char *sig_path, *sgxs_path = NULL;
	uint8_t mr[32];
	char err[600];
	int c;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		}
		return cli_bad_option(cmd, argv, c);
	}
	if (optind == argc)
		return cli_usage_error(cmd, "which .sig file?");
	if (argc - optind > 2)
		return cli_usage_error(cmd, "at most a .sig and an .sgxs file (got %d files)",
				       argc - optind);
	sig_path = argv[optind];
	if (argc - optind == 2)
		sgxs_path = argv[optind + 1];

	if (cli_read_exact(sig_path, &sig, sizeof(sig), err, sizeof(err)))
		return cli_error(cmd, "%s", err);
	if (sgxs_path && sgxemu_sgxs_measure_file(sgxs_path, mr, NULL, err, sizeof(err)))
		return cli_error(cmd, "%s", err);
	if (sgxemu_verify_sigstruct(&sig, sgxs_path ? mr : NULL, err, sizeof(err)) !=
	    SGXEMU_VERIFY_OK)
		return cli_error(cmd, "%s: %s", sig_path, err);
	print_sigstruct(&sig, sgxs_path != NULL);
	return EXIT_OK;
}

const struct sgxemu_command cmd_verify = {
	.name = "verify",
	.summary = "check a SIGSTRUCT (.sig) as EINIT will, optionally against its SGXS stream",
	.synopsis = "sgxemu verify FILE.sig [FILE.sgxs]",
	.help = "Checks the 1808-byte SIGSTRUCT in FILE.sig the way EINIT does, in this order:\n"
		"  header       HEADER bytes 0..15\n"
		"  vendor       VENDOR is 0 or 0x8086\n"
		"  header2      HEADER2 bytes 24..39\n"
		"  exponent     EXPONENT is 3\n"
		"  reserved     every reserved field is zero\n"
		"  signature    RSA-3072 PKCS#1 v1.5 SHA-256 over bytes 0..127 and 900..1027\n"
		"  q1, q2       the helper values Q1 = S^2 / N and Q2 = S * (S^2 mod N) / N\n"
		"  enclavehash  with FILE.sgxs: ENCLAVEHASH is the stream's MRENCLAVE\n"
		"\n"
		"When all pass, prints the fields (mrsigner, enclavehash, attributes and their\n"
		"mask, miscselect and its mask, ISV fields, vendor, date, swdefined) and exits 0.\n"
		"Otherwise prints one line naming the failed check and why, and exits 1.\n"
		"\n"
		"Options:\n"
		"  -h, --help   print this help\n"
		"\n"
		"Example:\n"
		"  $ sgxemu verify enclave.sig enclave.sgxs\n"
		"  mrsigner <64 hex digits>\n"
		"  enclavehash <64 hex digits> (matches the stream)\n"
		"  attributes flags 0x4 (MODE64BIT) xfrm 0x3\n"
		"  ...\n",
	.run = run,
};
