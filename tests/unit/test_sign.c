/* SPDX-License-Identifier: MIT */
/*
 * The SIGSTRUCT signer: determinism, acceptance by the EINIT checker, Q1/Q2, key refusal, and a
 * byte-for-byte reproduction of a SIGSTRUCT assembled from an independent vector: the key, the
 * modulus and the RSA signature come from the `openssl` command line, Q1 and Q2 from `bc`, and the
 * layout is written here by byte offset (ref/sgxs.md §8), not through struct sgx_sigstruct.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <sgxemu/sign.h>

#include "cpu/sigstruct.h"

static EVP_PKEY *test_key; /* one RSA-3072 e=3 key for the whole file: keygen is slow */
static char tmpdir[] = "/tmp/sgxemu-test-sign-XXXXXX";

static void example_fields(struct sgxemu_sign_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->vendor = 0x8086;
	f->date = 0x20240229;
	f->swdefined = 0xdeadbeef;
	f->miscselect = 0x1;
	f->misc_mask = 0xfffffffe;
	f->attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	f->attributes.xfrm = 0x7;
	f->attributes_mask.flags = ~SGX_ATTR_DEBUG;
	f->attributes_mask.xfrm = ~0x3ULL;
	for (int i = 0; i < 16; i++) {
		f->isvfamilyid[i] = (uint8_t)(0xa0 + i);
		f->isvextprodid[i] = (uint8_t)(0x50 + i);
	}
	f->isvprodid = 0x1234;
	f->isvsvn = 0x5678;
}

static void example_mrenclave(uint8_t mr[32])
{
	for (int i = 0; i < 32; i++)
		mr[i] = (uint8_t)(i * 7 + 1);
}

static EVP_PKEY *keygen(unsigned int bits, unsigned long exponent)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *key = NULL;

	assert_non_null(ctx);
	assert_non_null(e);
	assert_true(BN_set_word(e, exponent));
	assert_true(EVP_PKEY_keygen_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) > 0);
	assert_true(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) > 0);
	assert_true(EVP_PKEY_keygen(ctx, &key) > 0);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static int setup(void **state)
{
	test_key = sgxemu_generate_signing_key();
	if (!test_key || !mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	EVP_PKEY_free(test_key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void sign_ok(const struct sgxemu_sign_fields *f, const uint8_t mr[32], EVP_PKEY *key,
		    struct sgx_sigstruct *sig)
{
	char err[256] = "";
	int ret = sgxemu_sign(f, mr, key, sig, err, sizeof(err));

	if (ret)
		print_error("sgxemu_sign: %s\n", err);
	assert_int_equal(ret, 0);
}

static void test_generated_key_is_rsa3072_e3(void **state)
{
	BIGNUM *n = NULL, *e = NULL;
	char err[256];

	assert_true(EVP_PKEY_get_bn_param(test_key, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_true(EVP_PKEY_get_bn_param(test_key, OSSL_PKEY_PARAM_RSA_E, &e));
	assert_int_equal(BN_num_bits(n), 3072);
	assert_true(BN_is_word(e, 3));
	assert_int_equal(sgxemu_check_signing_key(test_key, err, sizeof(err)), 0);
	BN_free(n);
	BN_free(e);
}

static void test_signing_is_deterministic(void **state)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct a, b;
	uint8_t mr[32];

	example_fields(&f);
	example_mrenclave(mr);
	sign_ok(&f, mr, test_key, &a);
	memset(&b, 0xcc, sizeof(b));
	sign_ok(&f, mr, test_key, &b);
	assert_memory_equal(&a, &b, sizeof(a));

	/* ... and it depends on what is signed: one field more gives a different signature. */
	f.isvsvn++;
	sign_ok(&f, mr, test_key, &b);
	assert_memory_equal(a.modulus, b.modulus, sizeof(a.modulus));
	assert_memory_not_equal(a.signature, b.signature, sizeof(a.signature));
}

static void test_signature_accepted_by_einit_checks(void **state)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct sig;
	uint8_t mr[32];

	example_fields(&f);
	example_mrenclave(mr);
	sign_ok(&f, mr, test_key, &sig);
	assert_int_equal(sgx_sigstruct_check_format(&sig), SGX_SIGSTRUCT_OK);
	assert_int_equal(sgx_sigstruct_check_signature(&sig), SGX_SIGSTRUCT_OK);

	/* Every field where EINIT and the report will look for it. */
	assert_int_equal(sig.exponent, 3);
	assert_int_equal(sig.header.vendor, 0x8086);
	assert_int_equal(sig.header.date, 0x20240229);
	assert_int_equal(sig.header.swdefined, 0xdeadbeef);
	assert_int_equal(sig.body.miscselect, 1);
	assert_int_equal(sig.body.misc_mask, 0xfffffffe);
	assert_int_equal(sig.body.attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_int_equal(sig.body.attributes.xfrm, 7);
	assert_int_equal(sig.body.attributes_mask.flags, ~SGX_ATTR_DEBUG);
	assert_int_equal(sig.body.attributes_mask.xfrm, ~3ULL);
	assert_memory_equal(sig.body.enclavehash, mr, 32);
	assert_memory_equal(sig.body.isvfamilyid, f.isvfamilyid, 16);
	assert_memory_equal(sig.body.isvextprodid, f.isvextprodid, 16);
	assert_int_equal(sig.body.isvprodid, 0x1234);
	assert_int_equal(sig.body.isvsvn, 0x5678);

	/* A signed field changed after signing is caught. */
	sig.body.isvsvn ^= 1;
	assert_int_equal(sgx_sigstruct_check_signature(&sig), SGX_SIGSTRUCT_BAD_SIGNATURE);
}

/* Q1 = floor(S^2/N), Q2 = floor(S*(S^2 mod N)/N), checked as the hardware uses them. */
static void test_q1_q2_satisfy_the_einit_identities(void **state)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct sig;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n, *s, *q1, *q2, *s2, *r1, *t, *r2, *s3modn;
	uint8_t mr[32];

	example_fields(&f);
	example_mrenclave(mr);
	sign_ok(&f, mr, test_key, &sig);
	n = BN_lebin2bn(sig.modulus, 384, NULL);
	s = BN_lebin2bn(sig.signature, 384, NULL);
	q1 = BN_lebin2bn(sig.q1, 384, NULL);
	q2 = BN_lebin2bn(sig.q2, 384, NULL);
	s2 = BN_new();
	r1 = BN_new();
	t = BN_new();
	r2 = BN_new();
	s3modn = BN_new();

	/* S^2 = Q1*N + R1 with 0 <= R1 < N */
	assert_true(BN_sqr(s2, s, ctx));
	assert_true(BN_mul(t, q1, n, ctx));
	assert_true(BN_sub(r1, s2, t));
	assert_false(BN_is_negative(r1));
	assert_true(BN_cmp(r1, n) < 0);
	/* R1*S = Q2*N + R2 with 0 <= R2 < N, and R2 = S^3 mod N */
	assert_true(BN_mul(t, r1, s, ctx));
	assert_true(BN_mul(r2, q2, n, ctx));
	assert_true(BN_sub(r2, t, r2));
	assert_false(BN_is_negative(r2));
	assert_true(BN_cmp(r2, n) < 0);
	assert_true(BN_mod_sqr(t, s, n, ctx));
	assert_true(BN_mod_mul(s3modn, t, s, n, ctx));
	assert_int_equal(BN_cmp(r2, s3modn), 0);

	/* A wrong Q1 or Q2 is refused by the checker. */
	sig.q1[0] ^= 1;
	assert_int_equal(sgx_sigstruct_check_signature(&sig), SGX_SIGSTRUCT_BAD_Q1);
	sig.q1[0] ^= 1;
	sig.q2[383] ^= 0x80;
	assert_int_equal(sgx_sigstruct_check_signature(&sig), SGX_SIGSTRUCT_BAD_Q2);

	BN_free(n);
	BN_free(s);
	BN_free(q1);
	BN_free(q2);
	BN_free(s2);
	BN_free(r1);
	BN_free(t);
	BN_free(r2);
	BN_free(s3modn);
	BN_CTX_free(ctx);
}

static void expect_refusal(EVP_PKEY *key, const char *reason)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct sig;
	char err[256] = "";
	uint8_t mr[32] = { 0 };

	sgxemu_sign_fields_default(&f, false);
	memset(&sig, 0xcc, sizeof(sig));
	assert_int_equal(sgxemu_sign(&f, mr, key, &sig, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		print_error("reason \"%s\" does not say \"%s\"\n", err, reason);
	assert_non_null(strstr(err, reason));
	assert_null(strchr(err, '\n'));
	/* Nothing half-signed is left behind. */
	assert_int_equal(sig.exponent, 0);
	assert_int_equal(sig.header.header1[0], 0);
}

static void test_refuses_rsa2048_key(void **state)
{
	EVP_PKEY *key = keygen(2048, 3);

	expect_refusal(key, "the key is RSA-2048; SIGSTRUCT needs RSA-3072");
	EVP_PKEY_free(key);
}

static void test_refuses_exponent_65537(void **state)
{
	EVP_PKEY *key = keygen(3072, 65537);

	expect_refusal(key, "public exponent is 65537; SIGSTRUCT needs exponent 3");
	EVP_PKEY_free(key);
}

static void test_refuses_non_rsa_key(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(key);
	expect_refusal(key, "not RSA");
	EVP_PKEY_free(key);
}

static void test_refuses_public_only_key(void **state)
{
	/* The public half of the right kind of key: it passes the shape check but cannot sign. */
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pub = NULL;

	assert_true(EVP_PKEY_get_bn_param(test_key, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_true(EVP_PKEY_get_bn_param(test_key, OSSL_PKEY_PARAM_RSA_E, &e));
	bld = OSSL_PARAM_BLD_new();
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
	assert_true(EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params) > 0);
	expect_refusal(pub, "RSA signing failed");
	EVP_PKEY_free(pub);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
}

static void test_refuses_bad_vendor(void **state)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct sig;
	char err[256] = "";
	uint8_t mr[32] = { 0 };

	sgxemu_sign_fields_default(&f, false);
	f.vendor = 0x1234;
	assert_int_equal(sgxemu_sign(&f, mr, test_key, &sig, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "VENDOR 0x1234 is not allowed"));
}

static void test_defaults(void **state)
{
	struct sgxemu_sign_fields f, d;

	sgxemu_sign_fields_default(&f, false);
	assert_int_equal(f.vendor, 0);
	assert_int_equal(f.attributes.flags, SGX_ATTR_MODE64BIT);
	assert_int_equal(f.attributes.xfrm, 3);
	assert_int_equal(f.attributes_mask.xfrm, ~3ULL);
	/* DEBUG is bound to 0: a debug launch does not match. */
	assert_true(f.attributes_mask.flags & SGX_ATTR_DEBUG);
	assert_false(f.attributes.flags & SGX_ATTR_DEBUG);
	assert_int_equal(f.misc_mask, ~0U);
	assert_int_equal(f.miscselect, 0);
	assert_int_equal(f.isvprodid, 0);
	assert_int_equal(f.isvsvn, 0);
	/* Today's date in BCD: year 20xx, month 01..12, day 01..31, every nibble a digit. */
	assert_int_equal(f.date >> 24, 0x20);
	for (int i = 0; i < 8; i++)
		assert_true(((f.date >> (4 * i)) & 0xf) <= 9);

	sgxemu_sign_fields_default(&d, true);
	assert_int_equal(d.attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_false(d.attributes_mask.flags & SGX_ATTR_DEBUG);
	assert_int_equal(d.attributes_mask.flags | SGX_ATTR_DEBUG, ~0ULL);

	assert_int_equal(sgxemu_sign_date_bcd(2016, 12, 14), 0x20161214);
	assert_int_equal(sgxemu_sign_date_bcd(1999, 1, 2), 0x19990102);
}

static void test_key_mrsigner_is_the_sigstructs(void **state)
{
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct sig;
	uint8_t mr[32] = { 0 }, from_key[32], from_sig[32];

	sgxemu_sign_fields_default(&f, false);
	sign_ok(&f, mr, test_key, &sig);
	assert_int_equal(sgxemu_signing_key_mrsigner(test_key, from_key), 0);
	sgx_sigstruct_mrsigner(&sig, from_sig);
	assert_memory_equal(from_key, from_sig, 32);
}

static void test_fields_round_trip_through_sigstruct(void **state)
{
	struct sgxemu_sign_fields f, back;
	struct sgx_sigstruct sig;
	uint8_t mr[32];

	example_fields(&f);
	example_mrenclave(mr);
	sign_ok(&f, mr, test_key, &sig);
	sgxemu_sign_fields_from_sigstruct(&back, &sig);
	assert_memory_equal(&f, &back, sizeof(f));
}

static void test_load_and_write_key(void **state)
{
	char path[256], err[256] = "";
	struct stat st;
	EVP_PKEY *key;

	snprintf(path, sizeof(path), "%s/written.pem", tmpdir);
	assert_int_equal(sgxemu_write_signing_key(test_key, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites. */
	assert_int_equal(sgxemu_write_signing_key(test_key, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "File exists"));

	key = sgxemu_load_signing_key(path, err, sizeof(err));
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_eq(key, test_key), 1);
	EVP_PKEY_free(key);

	assert_null(sgxemu_load_signing_key("/nonexistent/key.pem", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open key /nonexistent/key.pem"));

	snprintf(path, sizeof(path), "%s/junk.pem", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_null(sgxemu_load_signing_key(path, err, sizeof(err)));
	assert_non_null(strstr(err, "holds no PEM private key"));
}

static void test_encrypted_key_is_refused_without_prompting(void **state)
{
	char path[256], cmd[512], err[256] = "";

	snprintf(path, sizeof(path), "%s/encrypted.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -aes128 "
		 "-pass pass:secret -out %s 2>/dev/null",
		 path);
	assert_int_equal(system(cmd), 0);
	assert_null(sgxemu_load_signing_key(path, err, sizeof(err)));
	assert_non_null(strstr(err, "is encrypted"));
}

/* --- the independent vector ---------------------------------------------------------------- */

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret)
		print_error("command failed (%d): %s\n", ret, cmd);
	assert_int_equal(ret, 0);
}

static size_t read_file(const char *path, void *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

/* Reads one hex number (the tail of the file's first line after prefix) into 384 LE bytes. */
static void read_hex_le(const char *path, const char *prefix, uint8_t out[384])
{
	char text[2048], *hex;
	uint8_t be[384] = { 0 };
	size_t len, n;

	n = read_file(path, text, sizeof(text) - 1);
	text[n] = '\0';
	assert_memory_equal(text, prefix, strlen(prefix));
	hex = text + strlen(prefix);
	len = strspn(hex, "0123456789abcdefABCDEF");
	assert_true(len > 0 && len <= 768);
	for (size_t i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)hex[len - 1 - i]);
		unsigned int v = (unsigned int)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);

		be[383 - i / 2] |= (uint8_t)(v << (4 * (i % 2)));
	}
	for (int i = 0; i < 384; i++)
		out[i] = be[383 - i];
}

static void put(uint8_t *sigstruct, size_t off, const void *p, size_t n)
{
	memcpy(sigstruct + off, p, n);
}

static void put_le(uint8_t *sigstruct, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sigstruct[off + i] = (uint8_t)(v >> (8 * i));
}

static void test_reproduces_openssl_cli_vector(void **state)
{
	static const uint8_t header1[16] = {
		0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0
	};
	static const uint8_t header2[16] = { 0x01, 0x01, 0, 0, 0x60, 0, 0, 0,
					     0x60, 0,	 0, 0, 0x01, 0, 0, 0 };
	uint8_t expected[1808] = { 0 }, msg[256], sig_be[400], s_le[384];
	struct sgxemu_sign_fields f;
	struct sgx_sigstruct got;
	char err[256] = "", key_path[256], out[256];
	EVP_PKEY *key;
	uint8_t mr[32];
	FILE *fp;

	example_fields(&f);
	example_mrenclave(mr);

	/* The signed fields, placed by offset as ref/sgxs.md §8 lists them. */
	put(expected, 0, header1, 16);
	put_le(expected, 16, 0x8086, 4);
	put_le(expected, 20, 0x20240229, 4);
	put(expected, 24, header2, 16);
	put_le(expected, 40, 0xdeadbeef, 4);
	put_le(expected, 512, 3, 4);
	put_le(expected, 900, 0x1, 4);
	put_le(expected, 904, 0xfffffffe, 4);
	put(expected, 912, f.isvfamilyid, 16);
	put_le(expected, 928, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG, 8);
	put_le(expected, 936, 0x7, 8);
	put_le(expected, 944, ~SGX_ATTR_DEBUG, 8);
	put_le(expected, 952, ~0x3ULL, 8);
	put(expected, 960, mr, 32);
	put(expected, 1008, f.isvextprodid, 16);
	put_le(expected, 1024, 0x1234, 2);
	put_le(expected, 1026, 0x5678, 2);
	memcpy(msg, expected, 128);
	memcpy(msg + 128, expected + 900, 128);

	/* Key, modulus and signature from the openssl command line. */
	snprintf(key_path, sizeof(key_path), "%s/cli-key.pem", tmpdir);
	run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 "
	    "-pkeyopt rsa_keygen_pubexp:3 -out %s 2>/dev/null",
	    key_path);
	snprintf(out, sizeof(out), "%s/msg.bin", tmpdir);
	fp = fopen(out, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(msg, 1, sizeof(msg), fp), sizeof(msg));
	fclose(fp);
	run("openssl dgst -sha256 -sign %s -out %s/sig.bin %s", key_path, tmpdir, out);
	run("openssl rsa -in %s -noout -modulus > %s/modulus.txt 2>/dev/null", key_path, tmpdir);

	snprintf(out, sizeof(out), "%s/modulus.txt", tmpdir);
	read_hex_le(out, "Modulus=", expected + 128);
	snprintf(out, sizeof(out), "%s/sig.bin", tmpdir);
	assert_int_equal(read_file(out, sig_be, sizeof(sig_be)), 384);
	for (int i = 0; i < 384; i++)
		s_le[i] = sig_be[383 - i];
	put(expected, 516, s_le, 384);

	/* Q1 = S^2 / N, Q2 = S * (S^2 mod N) / N with bc's integers (obase=A: input is hex now). */
	run("cd %s && { echo ibase=16; "
	    "echo \"s=$(od -An -v -tx1 sig.bin | tr -d ' \\n' | tr a-f A-F)\"; "
	    "echo \"n=$(sed 's/^Modulus=//' modulus.txt | tr -d '\\n' | tr a-f A-F)\"; "
	    "echo 'obase=A'; echo 's*s/n'; echo 's*((s*s)%%n)/n'; } "
	    "| BC_LINE_LENGTH=0 bc > q.txt",
	    tmpdir);
	{
		char text[4096], *nl, *q2;
		BIGNUM *q1_bn = NULL, *q2_bn = NULL;
		size_t n;

		snprintf(out, sizeof(out), "%s/q.txt", tmpdir);
		n = read_file(out, text, sizeof(text) - 1);
		text[n] = '\0';
		nl = strchr(text, '\n');
		assert_non_null(nl);
		*nl = '\0';
		q2 = nl + 1;
		if ((nl = strchr(q2, '\n')))
			*nl = '\0';
		assert_true(BN_dec2bn(&q1_bn, text) > 0);
		assert_true(BN_dec2bn(&q2_bn, q2) > 0);
		assert_int_equal(BN_bn2lebinpad(q1_bn, expected + 1040, 384), 384);
		assert_int_equal(BN_bn2lebinpad(q2_bn, expected + 1424, 384), 384);
		BN_free(q1_bn);
		BN_free(q2_bn);
	}

	key = sgxemu_load_signing_key(key_path, err, sizeof(err));
	assert_non_null(key);
	sign_ok(&f, mr, key, &got);
	assert_memory_equal(&got, expected, sizeof(expected));
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_key_is_rsa3072_e3),
		cmocka_unit_test(test_signing_is_deterministic),
		cmocka_unit_test(test_signature_accepted_by_einit_checks),
		cmocka_unit_test(test_q1_q2_satisfy_the_einit_identities),
		cmocka_unit_test(test_refuses_rsa2048_key),
		cmocka_unit_test(test_refuses_exponent_65537),
		cmocka_unit_test(test_refuses_non_rsa_key),
		cmocka_unit_test(test_refuses_public_only_key),
		cmocka_unit_test(test_refuses_bad_vendor),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_mrsigner_is_the_sigstructs),
		cmocka_unit_test(test_fields_round_trip_through_sigstruct),
		cmocka_unit_test(test_load_and_write_key),
		cmocka_unit_test(test_encrypted_key_is_refused_without_prompting),
		cmocka_unit_test(test_reproduces_openssl_cli_vector),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
