/* SPDX-License-Identifier: MIT */
/*
 * Key derivation (ref/sgx-isa.md §6 "What is private"): every SGX key is AES-128-CMAC under the
 * emulator's root key over one fixed KEYDEPENDENCIES layout (struct sgx_keydep). One layout for
 * every key name is what makes the pairs agree by construction: EREPORT's key for a target equals
 * the target's EGETKEY(REPORT), and EINIT's token key equals the launch enclave's
 * EGETKEY(EINITTOKEN), as long as both sides fill the same fields.
 *
 * The CMAC is OpenSSL's EVP_MAC. It allocates a context per call; the callers that run in a signal
 * handler (EREPORT, EGETKEY) are synchronous traps of enclave code, which never holds an OpenSSL
 * or malloc lock, so that is acceptable there (see enclu_keys.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

_Static_assert(sizeof(struct sgx_keydep) == 648, "KEYDEPENDENCIES layout is fixed");

static EVP_MAC *cmac_alg;
static pthread_once_t cmac_once = PTHREAD_ONCE_INIT;

/* Fetching an algorithm walks OpenSSL's provider tables; do it once per process, not per MAC. */
static void cmac_fetch(void)
{
	cmac_alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

/*
 * A CMAC that cannot be computed has no safe fallback: a made-up key or MAC would silently break
 * sealing and attestation. OpenSSL only fails here when it cannot allocate a few hundred bytes.
 */
static void __attribute__((noreturn)) cmac_failed(const char *what)
{
	pr_err("AES-128-CMAC failed (%s)", what);
	abort();
}

void sgx_keys_init(void)
{
	pthread_once(&cmac_once, cmac_fetch);
}

void sgx_cmac(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16])
{
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx;
	size_t out_len = 0;

	pthread_once(&cmac_once, cmac_fetch);
	if (!cmac_alg)
		cmac_failed("fetch");

	ctx = EVP_MAC_CTX_new(cmac_alg);
	if (!ctx)
		cmac_failed("context");
	if (!EVP_MAC_init(ctx, key, 16, params) || !EVP_MAC_update(ctx, data, len) ||
	    !EVP_MAC_final(ctx, mac, &out_len, 16) || out_len != 16) {
		EVP_MAC_CTX_free(ctx);
		cmac_failed("compute");
	}
	EVP_MAC_CTX_free(ctx);
}

void sgx_derive_key(const struct sgx_cpu *cpu, const struct sgx_keydep *dep, uint8_t key[16])
{
	sgx_cmac(cpu->root_key, dep, sizeof(*dep), key);
}
