/* SPDX-License-Identifier: MIT */
/*
 * The contract between the example host and the example enclave (self-contained: <stdint.h>).
 *
 * An ecall is EENTER with RDI = operation and RSI = a struct hello_args in untrusted memory. The
 * enclave copies the block in (it must lie entirely outside the enclave), runs the operation on
 * its private copy, copies the results out, and EEXITs with RDI = status (also in args.status).
 */
#ifndef HELLO_ABI_H
#define HELLO_ABI_H

#include <stdint.h>

enum hello_op {
	HELLO_OP_GREET = 1, /* greet: a greeting built inside the enclave */
	HELLO_OP_SELF_TARGET =
		2,	     /* target: this enclave's TARGETINFO (so others can report to it) */
	HELLO_OP_REPORT = 3, /* report: EREPORT for a TARGETINFO, with REPORTDATA */
	HELLO_OP_VERIFY = 4, /* report: verify a REPORT targeted at this enclave */
	HELLO_OP_SEAL = 5,   /* seal: encrypt a secret under the seal key */
	HELLO_OP_UNSEAL = 6, /* seal: decrypt and authenticate a sealed blob */
	HELLO_OP_MAX,
};

enum hello_status {
	HELLO_OK = 0,
	HELLO_ERR_OP = 1,	 /* unknown operation */
	HELLO_ERR_ARGS = 2,	 /* the argument block is not entirely outside the enclave */
	HELLO_ERR_PARAM = 3,	 /* a length or field out of range */
	HELLO_ERR_MAC = 4,	 /* a MAC or authentication tag did not match */
	HELLO_ERR_KEY = 5,	 /* EGETKEY refused the key request (ZF set) */
	HELLO_ERR_RANDOM = 6,	 /* RDRAND gave no random number */
	HELLO_ERR_EXCEPTION = 7, /* entered with CSSA > 0: this enclave handles no exceptions */
	HELLO_ERR_RELOC = 8,	 /* the image could not relocate itself */
};

#define HELLO_NAME_MAX 64
#define HELLO_TEXT_MAX 128
#define HELLO_SECRET_MAX 128

struct hello_greet {
	char name[HELLO_NAME_MAX]; /* in, NUL-terminated */
	char text[HELLO_TEXT_MAX]; /* out */
	uint64_t calls;		   /* out: greetings this enclave has made */
};

struct hello_target {
	uint8_t targetinfo[512]; /* out: struct sgx_targetinfo */
};

struct hello_report {
	uint8_t targetinfo[512]; /* REPORT in: for whom */
	uint8_t reportdata[64];	 /* REPORT in */
	uint8_t report[432];	 /* REPORT out; VERIFY in: struct sgx_report */
};

/*
 * A sealed secret. Everything but the ciphertext and the tag is the additional authenticated
 * data, so a changed key request, IV or length is refused like a changed ciphertext.
 */
struct hello_sealed {
	/* The seal key request: what EGETKEY needs to derive the same key again. */
	uint8_t keyid[32];
	uint8_t cpusvn[16];
	uint16_t isvsvn;
	uint16_t keypolicy;
	uint32_t len; /* plaintext bytes */
	uint8_t iv[12];
	uint8_t tag[16];
	uint8_t ciphertext[HELLO_SECRET_MAX];
};

#define HELLO_SEALED_AAD_SIZE 68 /* keyid, cpusvn, isvsvn, keypolicy, len, iv */

struct hello_seal {
	uint8_t secret[HELLO_SECRET_MAX]; /* SEAL in, UNSEAL out */
	uint32_t len;			  /* SEAL in, UNSEAL out */
	uint16_t keypolicy;		  /* SEAL in: SGX_KEYPOLICY_MRENCLAVE and/or _MRSIGNER */
	uint16_t reserved;
	struct hello_sealed sealed; /* SEAL out, UNSEAL in */
};

struct hello_args {
	int64_t status; /* out */
	union {
		struct hello_greet greet;
		struct hello_target target;
		struct hello_report report;
		struct hello_seal seal;
	} u;
};

#endif /* HELLO_ABI_H */
