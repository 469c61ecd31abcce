/* SPDX-License-Identifier: MIT */
/* `sgxemu sign`: a SIGSTRUCT for an SGXS stream, with an option for every signed field. */
#include <stdio.h>
#include <string.h>

#include <sgxemu/pack.h>
#include <sgxemu/sgxs.h>
#include <sgxemu/sign.h>

#include "cli.h"

enum {
	OPT_KEY = 'k',
	OPT_OUT = 'o',
	OPT_DEBUG = 'd',
	OPT_HELP = 'h',
	OPT_GENERATE_KEY = 0x100,
	OPT_VENDOR,
	OPT_DATE,
	OPT_SWDEFINED,
	OPT_ATTRIBUTES,
	OPT_ATTRIBUTES_MASK,
	OPT_XFRM,
	OPT_XFRM_MASK,
	OPT_MISCSELECT,
	OPT_MISCSELECT_MASK,
	OPT_ISVPRODID,
	OPT_ISVSVN,
	OPT_ISVFAMILYID,
	OPT_ISVEXTPRODID,
	OPT_LAST,
};

#define NR_FIELD_OPTIONS (OPT_LAST - OPT_VENDOR)

struct sign_args {
	const char *key;
	const char *generate_key;
	const char *out;
	const char *input;
	bool debug;
	/* the value given for each field option, NULL if not given */
	const char *field[NR_FIELD_OPTIONS];
};

static int parse_date(const char *text, uint32_t *bcd)
{
	int y, m, d, len = 0;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &len) == 3 && len == 10 && !text[len])
		goto check;
	if (strlen(text) == 8 && strspn(text, "0123456789") == 8 &&
	    sscanf(text, "%4d%2d%2d", &y, &m, &d) == 3)
		goto check;
	return -1;
check:
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*bcd = sgxemu_sign_date_bcd(y, m, d);
	return 0;
}

/* Applies the field options over the defaults. EXIT_OK or a usage error. */
static int apply_fields(const struct sgxemu_command *cmd, const struct sign_args *a,
			struct sgxemu_sign_fields *f)
{
	static const struct {
		const char *name;
		uint64_t max;
	} numeric[NR_FIELD_OPTIONS] = {
		[OPT_VENDOR - OPT_VENDOR] = { "vendor", 0xffffffff },
		[OPT_SWDEFINED - OPT_VENDOR] = { "swdefined", 0xffffffff },
		[OPT_ATTRIBUTES - OPT_VENDOR] = { "attributes", UINT64_MAX },
		[OPT_ATTRIBUTES_MASK - OPT_VENDOR] = { "attributes-mask", UINT64_MAX },
		[OPT_XFRM - OPT_VENDOR] = { "xfrm", UINT64_MAX },
		[OPT_XFRM_MASK - OPT_VENDOR] = { "xfrm-mask", UINT64_MAX },
		[OPT_MISCSELECT - OPT_VENDOR] = { "miscselect", 0xffffffff },
		[OPT_MISCSELECT_MASK - OPT_VENDOR] = { "miscselect-mask", 0xffffffff },
		[OPT_ISVPRODID - OPT_VENDOR] = { "isvprodid", 0xffff },
		[OPT_ISVSVN - OPT_VENDOR] = { "isvsvn", 0xffff },
	};
	uint64_t v[NR_FIELD_OPTIONS] = { 0 };
	const char *text;

	sgxemu_sign_fields_default(f, a->debug);
	for (int i = 0; i < NR_FIELD_OPTIONS; i++) {
		if (!a->field[i] || !numeric[i].name)
			continue;
		/* The XFRM of an enclave signed for this machine: what XCR0 enables here. */
		if (i == OPT_XFRM - OPT_VENDOR && !strcmp(a->field[i], "host")) {
			v[i] = sgxemu_host_xcr0();
			continue;
		}
		if (!cli_parse_uint(a->field[i], numeric[i].max, &v[i]))
			return cli_usage_error(cmd, "--%s '%s' is not a number from 0 to 0x%llx",
					       numeric[i].name, a->field[i],
					       (unsigned long long)numeric[i].max);
	}
#define GIVEN(opt) (a->field[(opt)-OPT_VENDOR] != NULL)
#define VALUE(opt) (v[(opt)-OPT_VENDOR])
	if (GIVEN(OPT_VENDOR)) {
		if (VALUE(OPT_VENDOR) != 0 && VALUE(OPT_VENDOR) != SGX_SIGSTRUCT_VENDOR_INTEL)
			return cli_usage_error(cmd,
					       "--vendor must be 0 or 0x8086 (Intel), not 0x%llx",
					       (unsigned long long)VALUE(OPT_VENDOR));
		f->vendor = (uint32_t)VALUE(OPT_VENDOR);
	}
	text = a->field[OPT_DATE - OPT_VENDOR];
	if (text && parse_date(text, &f->date))
		return cli_usage_error(cmd, "--date '%s' is not a date (YYYY-MM-DD or YYYYMMDD)",
				       text);
	if (GIVEN(OPT_SWDEFINED))
		f->swdefined = (uint32_t)VALUE(OPT_SWDEFINED);
	if (GIVEN(OPT_ATTRIBUTES)) {
		uint64_t bad = VALUE(OPT_ATTRIBUTES) & (SGX_ATTR_INIT | SGX_ATTR_RESERVED_MASK);

		if (bad)
			return cli_usage_error(
				cmd,
				"--attributes 0x%llx sets INIT or reserved bits (0x%llx), "
				"which no enclave can have at EINIT",
				(unsigned long long)VALUE(OPT_ATTRIBUTES), (unsigned long long)bad);
		f->attributes.flags = VALUE(OPT_ATTRIBUTES);
	}
	if (GIVEN(OPT_ATTRIBUTES_MASK))
		f->attributes_mask.flags = VALUE(OPT_ATTRIBUTES_MASK);
	if (GIVEN(OPT_XFRM)) {
		if ((VALUE(OPT_XFRM) & 3) != 3)
			return cli_usage_error(
				cmd,
				"--xfrm 0x%llx lacks x87 and SSE (bits 0 and 1), which "
				"every enclave has",
				(unsigned long long)VALUE(OPT_XFRM));
		f->attributes.xfrm = VALUE(OPT_XFRM);
	}
	if (GIVEN(OPT_XFRM_MASK))
		f->attributes_mask.xfrm = VALUE(OPT_XFRM_MASK);
	if (GIVEN(OPT_MISCSELECT))
		f->miscselect = (uint32_t)VALUE(OPT_MISCSELECT);
	if (GIVEN(OPT_MISCSELECT_MASK))
		f->misc_mask = (uint32_t)VALUE(OPT_MISCSELECT_MASK);
	if (GIVEN(OPT_ISVPRODID))
		f->isvprodid = (uint16_t)VALUE(OPT_ISVPRODID);
	if (GIVEN(OPT_ISVSVN))
		f->isvsvn = (uint16_t)VALUE(OPT_ISVSVN);
	text = a->field[OPT_ISVFAMILYID - OPT_VENDOR];
	if (text && !cli_parse_hex_bytes(text, f->isvfamilyid, 16))
		return cli_usage_error(cmd, "--isvfamilyid '%s' is not 32 hex digits", text);
	text = a->field[OPT_ISVEXTPRODID - OPT_VENDOR];
	if (text && !cli_parse_hex_bytes(text, f->isvextprodid, 16))
		return cli_usage_error(cmd, "--isvextprodid '%s' is not 32 hex digits", text);
#undef GIVEN
#undef VALUE
	return EXIT_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void print_mrsigner(EVP_PKEY *key)
{
	uint8_t mrsigner[32];

	if (sgxemu_signing_key_mrsigner(key, mrsigner))
		return;
	printf("mrsigner ");
	cli_print_hex(stdout, mrsigner, sizeof(mrsigner));
	putchar('\n');
}

static int sign(const struct sgxemu_command *cmd, const struct sign_args *a,
		const struct sgxemu_sign_fields *f, EVP_PKEY *key)
{
	struct sgx_sigstruct sig;
	uint8_t mr[32];
	char err[512];

	if (sgxemu_sgxs_measure_file(a->input, mr, NULL, err, sizeof(err)))
		return cli_error(cmd, "%s", err);
	if (sgxemu_sign(f, mr, key, &sig, err, sizeof(err)))
		return cli_error(cmd, "%s", err);
	if (cli_write_file(a->out, &sig, sizeof(sig), err, sizeof(err)))
		return cli_error(cmd, "%s", err);
	printf("mrenclave ");
	cli_print_hex(stdout, mr, sizeof(mr));
	putchar('\n');
	print_mrsigner(key);
	return EXIT_OK;
}

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, OPT_KEY },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "generate-key", required_argument, NULL, OPT_GENERATE_KEY },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "vendor", required_argument, NULL, OPT_VENDOR },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "swdefined", required_argument, NULL, OPT_SWDEFINED },
		{ "attributes", required_argument, NULL, OPT_ATTRIBUTES },
		{ "attributes-mask", required_argument, NULL, OPT_ATTRIBUTES_MASK },
		{ "xfrm", required_argument, NULL, OPT_XFRM },
		{ "xfrm-mask", required_argument, NULL, OPT_XFRM_MASK },
		{ "miscselect", required_argument, NULL, OPT_MISCSELECT },
		{ "miscselect-mask", required_argument, NULL, OPT_MISCSELECT_MASK },
		{ "isvprodid", required_argument, NULL, OPT_ISVPRODID },
		{ "isvsvn", required_argument, NULL, OPT_ISVSVN },
		{ "isvfamilyid", required_argument, NULL, OPT_ISVFAMILYID },
		{ "isvextprodid", required_argument, NULL, OPT_ISVEXTPRODID },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct sgxemu_sign_fields fields;
	struct sign_args a = { 0 };
	EVP_PKEY *key = NULL;
	char err[512];
	int c, ret;

	while ((c = getopt_long(argc, argv, ":k:o:dh", options, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			a.key = optarg;
			break;
		case OPT_OUT:
			a.out = optarg;
			break;
		case OPT_GENERATE_KEY:
			a.generate_key = optarg;
			break;
		case OPT_DEBUG:
			a.debug = true;
			break;
		case OPT_HELP:
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		default:
			if (c >= OPT_VENDOR && c < OPT_LAST) {
				a.field[c - OPT_VENDOR] = optarg;
				break;
			}
			return cli_bad_option(cmd, argv, c);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cmd, "one SGXS file at a time (got %d)", argc - optind);
	a.input = optind < argc ? argv[optind] : NULL;
	if (a.key && a.generate_key)
		return cli_usage_error(cmd, "--key and --generate-key exclude each other");
	if (!a.key && !a.generate_key)
		return cli_usage_error(cmd,
				       "--key KEY.pem is required (or --generate-key NEW.pem)");
	if (!a.input && !a.generate_key)
		return cli_usage_error(cmd, "which SGXS file?");
	if (a.input && !a.out)
		return cli_usage_error(cmd, "--out FILE.sig is required");
	if (!a.input && a.out)
		return cli_usage_error(cmd, "--out without an SGXS file to sign");
	ret = apply_fields(cmd, &a, &fields);
	if (ret)
		return ret;
	if ((!all_zero(fields.isvfamilyid, 16) || !all_zero(fields.isvextprodid, 16)) &&
	    !(fields.attributes.flags & SGX_ATTR_KSS))
		fprintf(stderr, "sgxemu sign: warning: ISVFAMILYID/ISVEXTPRODID are set but "
				"ATTRIBUTES lack "
				"KSS (0x80); EINIT refuses a nonzero ISVFAMILYID without KSS\n");

	if (a.generate_key) {
		key = sgxemu_generate_signing_key();
		if (!key)
			return cli_error(cmd, "cannot generate an RSA-3072 key");
		if (sgxemu_write_signing_key(key, a.generate_key, err, sizeof(err))) {
			EVP_PKEY_free(key);
			return cli_error(cmd, "%s", err);
		}
		fprintf(stderr, "sgxemu sign: wrote a new RSA-3072 e=3 key to %s\n",
			a.generate_key);
		if (!a.input) {
			print_mrsigner(key);
			EVP_PKEY_free(key);
			return EXIT_OK;
		}
	} else {
		key = sgxemu_load_signing_key(a.key, err, sizeof(err));
		if (!key)
			return cli_error(cmd, "%s", err);
		if (sgxemu_check_signing_key(key, err, sizeof(err))) {
			EVP_PKEY_free(key);
			return cli_error(cmd, "%s: %s", a.key, err);
		}
	}
	ret = sign(cmd, &a, &fields, key);
	EVP_PKEY_free(key);
	return ret;
}

const struct sgxemu_command cmd_sign = {
	.name = "sign",
	.summary = "write a SIGSTRUCT (.sig) for an SGXS enclave stream",
	.synopsis = "sgxemu sign (--key KEY.pem | --generate-key NEW.pem) --out FILE.sig [OPTIONS] "
		    "FILE.sgxs",
	.help = "Measures FILE.sgxs and writes FILE.sig: the 1808-byte SIGSTRUCT that EINIT "
		"takes,\n"
		"signed with an RSA-3072 key whose public exponent is 3 (RSA PKCS#1 v1.5, "
		"SHA-256,\n"
		"deterministic: the same key and fields always give the same bytes). Prints the\n"
		"enclave's MRENCLAVE and the key's MRSIGNER.\n"
		"\n"
		"Options:\n"
		"  -k, --key KEY.pem        the signing key (PEM, unencrypted)\n"
		"      --generate-key NEW.pem\n"
		"                           make a new RSA-3072 e=3 key in NEW.pem (never "
		"overwrites)\n"
		"                           and sign with it; without FILE.sgxs, only make the "
		"key\n"
		"  -o, --out FILE.sig       where to write the SIGSTRUCT\n"
		"  -d, --debug              allow the enclave to run in debug mode: set DEBUG in\n"
		"                           ATTRIBUTES and leave it out of the mask (without this\n"
		"                           option the mask binds DEBUG=0: production only)\n"
		"\n"
		"Signed fields (numbers are decimal or 0x-hex; [defaults] are Fortanix's, except\n"
		"that the mask binds DEBUG unless --debug):\n"
		"      --vendor N           0 or 0x8086 (Intel)                          [0]\n"
		"      --date DATE          YYYY-MM-DD or YYYYMMDD, stored as BCD        [today, "
		"UTC]\n"
		"      --swdefined N        32 bits for the signer's own use             [0]\n"
		"      --attributes FLAGS   ATTRIBUTES.FLAGS: 0x2 DEBUG, 0x4 MODE64BIT, 0x10\n"
		"                           PROVISIONKEY, 0x20 EINITTOKEN_KEY, 0x80 KSS,\n"
		"                           0x400 AEXNOTIFY                              [0x4]\n"
		"      --attributes-mask M  FLAGS bits EINIT compares    [~0; ~0x2 with --debug]\n"
		"      --xfrm XFRM|host     ATTRIBUTES.XFRM (bits 0 and 1 required); host:\n"
		"                           this machine's XCR0                          [0x3]\n"
		"      --xfrm-mask M        XFRM bits EINIT compares                     [~0x3]\n"
		"      --miscselect N       MISCSELECT (0x1 EXINFO)                      [0]\n"
		"      --miscselect-mask M  MISCSELECT bits EINIT compares               "
		"[0xffffffff]\n"
		"      --isvprodid N        product ID, 16 bits                          [0]\n"
		"      --isvsvn N           security version, 16 bits                    [0]\n"
		"      --isvfamilyid HEX    16 bytes as 32 hex digits, byte 0 first (KSS) [0]\n"
		"      --isvextprodid HEX   16 bytes as 32 hex digits, byte 0 first (KSS) [0]\n"
		"  -h, --help               print this help\n"
		"\n"
		"Options apply over the defaults in any order (--debug changes only the "
		"defaults).\n"
		"\n"
		"Examples:\n"
		"  $ sgxemu sign --generate-key key.pem\n"
		"  $ sgxemu sign --key key.pem --out enclave.sig --isvprodid 1 --isvsvn 3 "
		"enclave.sgxs\n"
		"  mrenclave 9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8\n"
		"  mrsigner <64 hex digits>\n",
	.run = run,
};
