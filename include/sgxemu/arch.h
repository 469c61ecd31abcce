/* SPDX-License-Identifier: MIT */
/*
 * The architectural SGX structures, flag values and status codes, byte-exact as the Intel SDM
 * Vol. 3D lays them out (see ../shared/ref/sgx-isa.md §0-§1). Every size and offset is checked
 * by a static assert at the bottom of this file, so a typo fails the build, not a test.
 *
 * These are architecture names (SECS, TCS, ...), so they keep the SDM's and the kernel's sgx_
 * prefix rather than sgxemu_. The uAPI (ioctl structs, struct sgx_enclave_run) is not here: it
 * comes from the system's <asm/sgx.h>.
 */
#ifndef SGXEMU_ARCH_H
#define SGXEMU_ARCH_H

#include <stddef.h>
#include <stdint.h>

#define SGX_PAGE_SIZE 4096UL
#define SGX_PAGE_SHIFT 12
#define SGX_MODULUS_SIZE 384
#define SGX_HASH_SIZE 32
#define SGX_EEXTEND_BLOCK_SIZE 256
#define SGX_VA_SLOT_COUNT 512
#define SGX_SSA_GPRS_SIZE 184
#define SGX_SSA_MISC_EXINFO_SIZE 16
#define SGX_LAUNCH_TOKEN_SIZE 304

/* ENCLS leaves (EAX) */
enum sgx_encls_leaf {
	ECREATE = 0x00,
	EADD = 0x01,
	EINIT = 0x02,
	EREMOVE = 0x03,
	EDBGRD = 0x04,
	EDBGWR = 0x05,
	EEXTEND = 0x06,
	ELDB = 0x07,
	ELDU = 0x08,
	EBLOCK = 0x09,
	EPA = 0x0A,
	EWB = 0x0B,
	ETRACK = 0x0C,
	EAUG = 0x0D,
	EMODPR = 0x0E,
	EMODT = 0x0F,
	SGX_ENCLS_NR_LEAVES = 0x10,
};

/* ENCLU leaves (EAX) */
enum sgx_enclu_leaf {
	EREPORT = 0x00,
	EGETKEY = 0x01,
	EENTER = 0x02,
	ERESUME = 0x03,
	EEXIT = 0x04,
	EACCEPT = 0x05,
	EMODPE = 0x06,
	EACCEPTCOPY = 0x07,
	SGX_ENCLU_NR_LEAVES = 0x08,
};

/* Status codes a leaf returns in RAX (ZF=1, or CF=1 for the informational ones). */
enum sgx_return_code {
	SGX_SUCCESS = 0,
	SGX_INVALID_SIG_STRUCT = 1,
	SGX_INVALID_ATTRIBUTE = 2,
	SGX_BLKSTATE = 3,
	SGX_INVALID_MEASUREMENT = 4,
	SGX_NOTBLOCKABLE = 5,
	SGX_PG_INVLD = 6,
	SGX_EPC_PAGE_CONFLICT = 7,
	SGX_INVALID_SIGNATURE = 8,
	SGX_MAC_COMPARE_FAIL = 9,
	SGX_PAGE_NOT_BLOCKED = 10,
	SGX_NOT_TRACKED = 11,
	SGX_VA_SLOT_OCCUPIED = 12,
	SGX_CHILD_PRESENT = 13,
	SGX_ENCLAVE_ACT = 14,
	SGX_ENTRYEPOCH_LOCKED = 15,
	SGX_INVALID_EINITTOKEN = 16,
	SGX_PREV_TRK_INCMPL = 17,
	SGX_PG_IS_SECS = 18,
	SGX_PAGE_ATTRIBUTES_MISMATCH = 19,
	SGX_PAGE_NOT_MODIFIABLE = 20,
	SGX_PAGE_NOT_DEBUGGABLE = 21,
	SGX_INVALID_CPUSVN = 32,
	SGX_INVALID_ISVSVN = 64,
	SGX_UNMASKED_EVENT = 128,
	SGX_INVALID_KEYNAME = 256,
};

/* Exception vectors used by the SGX fault model. */
#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_BP 3
#define X86_TRAP_OF 4
#define X86_TRAP_BR 5
#define X86_TRAP_UD 6
#define X86_TRAP_NM 7
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14
#define X86_TRAP_MF 16
#define X86_TRAP_AC 17
#define X86_TRAP_MC 18
#define X86_TRAP_XM 19

/* Page-fault error code bits; bit 15 marks a fault caused by EPCM state. */
#define X86_PF_PROT (1U << 0)
#define X86_PF_WRITE (1U << 1)
#define X86_PF_USER (1U << 2)
#define X86_PF_INSTR (1U << 4)
#define X86_PF_SGX (1U << 15)

/* SECS.ATTRIBUTES.FLAGS */
#define SGX_ATTR_INIT (1ULL << 0)
#define SGX_ATTR_DEBUG (1ULL << 1)
#define SGX_ATTR_MODE64BIT (1ULL << 2)
#define SGX_ATTR_PROVISIONKEY (1ULL << 4)
#define SGX_ATTR_EINITTOKENKEY (1ULL << 5)
#define SGX_ATTR_CET (1ULL << 6)
#define SGX_ATTR_KSS (1ULL << 7)
#define SGX_ATTR_ASYNC_EXIT_NOTIFY (1ULL << 10)
/* Bits 3, 6, 8, 9 and 63:11, as the kernel's SGX_ATTR_RESERVED_MASK. */
#define SGX_ATTR_RESERVED_MASK 0xFFFFFFFFFFFFFB48ULL
#define SGX_ATTR_UNPRIV_MASK (SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS | \
			      SGX_ATTR_ASYNC_EXIT_NOTIFY)
#define SGX_ATTR_PRIV_MASK (SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY)

/* MISCSELECT */
#define SGX_MISC_EXINFO (1U << 0)

/* SECINFO.FLAGS */
#define SGX_SECINFO_R (1ULL << 0)
#define SGX_SECINFO_W (1ULL << 1)
#define SGX_SECINFO_X (1ULL << 2)
#define SGX_SECINFO_PENDING (1ULL << 3)
#define SGX_SECINFO_MODIFIED (1ULL << 4)
#define SGX_SECINFO_PR (1ULL << 5)
#define SGX_SECINFO_PERMISSION_MASK 0x7ULL
#define SGX_SECINFO_PAGE_TYPE_SHIFT 8
#define SGX_SECINFO_PAGE_TYPE_MASK (0xFFULL << SGX_SECINFO_PAGE_TYPE_SHIFT)
/* Bits 7:6 and 63:16 are reserved everywhere; the SGX2 state bits are legal only in EACCEPT. */
#define SGX_SECINFO_RESERVED_MASK (~(SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PENDING | \
				     SGX_SECINFO_MODIFIED | SGX_SECINFO_PR | \
				     SGX_SECINFO_PAGE_TYPE_MASK))

enum sgx_page_type {
	SGX_PAGE_TYPE_SECS = 0,
	SGX_PAGE_TYPE_TCS = 1,
	SGX_PAGE_TYPE_REG = 2,
	SGX_PAGE_TYPE_VA = 3,
	SGX_PAGE_TYPE_TRIM = 4,
	SGX_PAGE_TYPE_SS_FIRST = 5,
	SGX_PAGE_TYPE_SS_REST = 6,
};

#define SGX_SECINFO_SECS ((uint64_t)SGX_PAGE_TYPE_SECS << SGX_SECINFO_PAGE_TYPE_SHIFT)
#define SGX_SECINFO_TCS ((uint64_t)SGX_PAGE_TYPE_TCS << SGX_SECINFO_PAGE_TYPE_SHIFT)
#define SGX_SECINFO_REG ((uint64_t)SGX_PAGE_TYPE_REG << SGX_SECINFO_PAGE_TYPE_SHIFT)
#define SGX_SECINFO_VA ((uint64_t)SGX_PAGE_TYPE_VA << SGX_SECINFO_PAGE_TYPE_SHIFT)
#define SGX_SECINFO_TRIM ((uint64_t)SGX_PAGE_TYPE_TRIM << SGX_SECINFO_PAGE_TYPE_SHIFT)

static inline unsigned int sgx_secinfo_page_type(uint64_t flags)
{
	return (unsigned int)((flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT);
}

/* TCS.FLAGS */
#define SGX_TCS_DBGOPTIN (1ULL << 0)
#define SGX_TCS_AEXNOTIFY (1ULL << 1)
#define SGX_TCS_RESERVED_MASK (~3ULL)

/* EXITINFO */
#define SGX_EXITINFO_VECTOR_MASK 0xFFU
#define SGX_EXITINFO_TYPE_SHIFT 8
#define SGX_EXITINFO_TYPE_HW 3
#define SGX_EXITINFO_TYPE_SW 6
#define SGX_EXITINFO_VALID (1U << 31)

/* KEYREQUEST.KEYNAME and KEYPOLICY */
enum sgx_key_name {
	SGX_KEYNAME_EINITTOKEN = 0,
	SGX_KEYNAME_PROVISION = 1,
	SGX_KEYNAME_PROVISION_SEAL = 2,
	SGX_KEYNAME_REPORT = 3,
	SGX_KEYNAME_SEAL = 4,
};

#define SGX_KEYPOLICY_MRENCLAVE (1U << 0)
#define SGX_KEYPOLICY_MRSIGNER (1U << 1)
#define SGX_KEYPOLICY_NOISVPRODID (1U << 2)
#define SGX_KEYPOLICY_CONFIGID (1U << 3)
#define SGX_KEYPOLICY_ISVFAMILYID (1U << 4)
#define SGX_KEYPOLICY_ISVEXTPRODID (1U << 5)
#define SGX_KEYPOLICY_KSS_MASK 0x3CU
#define SGX_KEYPOLICY_RESERVED_MASK 0xFFC0U

/* MSRs */
#define MSR_IA32_FEAT_CTL 0x3A
#define FEAT_CTL_LOCKED (1ULL << 0)
#define FEAT_CTL_SGX_LC_ENABLED (1ULL << 17)
#define FEAT_CTL_SGX_ENABLED (1ULL << 18)
#define MSR_IA32_SGXLEPUBKEYHASH0 0x8C
#define MSR_IA32_SGXLEPUBKEYHASH3 0x8F

struct sgx_attributes {
	uint64_t flags;
	uint64_t xfrm;
} __attribute__((packed));

/* SECS: 4096 bytes, lives in a PT_SECS EPC page, never mapped. */
struct sgx_secs {
	uint64_t size;
	uint64_t base;
	uint32_t ssa_frame_size; /* pages */
	uint32_t miscselect;
	uint8_t reserved1[24];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t reserved4[3834];
} __attribute__((packed));

/* TCS: 4096 bytes, page type PT_TCS. */
struct sgx_tcs {
	uint64_t state;
	uint64_t flags;
	uint64_t ossa;
	uint32_t cssa;
	uint32_t nssa;
	uint64_t oentry;
	uint64_t aep;
	uint64_t ofsbase;
	uint64_t ogsbase;
	uint32_t fslimit;
	uint32_t gslimit;
	uint8_t reserved[4024];
} __attribute__((packed));

/* The GPR area at the very end of each SSA frame. */
struct sgx_gprsgx {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t rip;
	uint64_t ursp;
	uint64_t urbp;
	uint32_t exitinfo;
	uint8_t reserved[3];
	uint8_t aexnotify;
	uint64_t fsbase;
	uint64_t gsbase;
} __attribute__((packed));

/* The MISC EXINFO component, directly below GPRSGX when MISCSELECT.EXINFO is set. */
struct sgx_exinfo {
	uint64_t maddr;
	uint32_t errcd;
	uint32_t reserved;
} __attribute__((packed));

struct sgx_pageinfo {
	uint64_t addr;     /* LINADDR */
	uint64_t contents; /* SRCPGE */
	uint64_t metadata; /* SECINFO or PCMD */
	uint64_t secs;
} __attribute__((packed, aligned(32)));

struct sgx_secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((packed, aligned(64)));

struct sgx_pcmd {
	struct sgx_secinfo secinfo;
	uint64_t enclave_id;
	uint8_t reserved[40];
	uint8_t mac[16];
} __attribute__((packed, aligned(128)));

/* SIGSTRUCT: 1808 bytes. The signed bytes are 0..127 and 900..1027. */
struct sgx_sigstruct_header {
	uint8_t header1[16];
	uint32_t vendor;
	uint32_t date;
	uint8_t header2[16];
	uint32_t swdefined;
	uint8_t reserved[84];
} __attribute__((packed));

struct sgx_sigstruct_body {
	uint32_t miscselect;
	uint32_t misc_mask;
	uint8_t cet_attributes;
	uint8_t cet_attributes_mask;
	uint8_t reserved1[2];
	uint8_t isvfamilyid[16];
	struct sgx_attributes attributes;
	struct sgx_attributes attributes_mask;
	uint8_t enclavehash[32];
	uint8_t reserved2[16];
	uint8_t isvextprodid[16];
	uint16_t isvprodid;
	uint16_t isvsvn;
} __attribute__((packed));

struct sgx_sigstruct {
	struct sgx_sigstruct_header header;
	uint8_t modulus[SGX_MODULUS_SIZE];
	uint32_t exponent;
	uint8_t signature[SGX_MODULUS_SIZE];
	struct sgx_sigstruct_body body;
	uint8_t reserved4[12];
	uint8_t q1[SGX_MODULUS_SIZE];
	uint8_t q2[SGX_MODULUS_SIZE];
} __attribute__((packed));

#define SGX_SIGSTRUCT_HEADER1 \
	{ 0x06, 0x00, 0x00, 0x00, 0xE1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 }
#define SGX_SIGSTRUCT_HEADER2 \
	{ 0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 }
#define SGX_SIGSTRUCT_VENDOR_INTEL 0x8086

struct sgx_einittoken {
	uint32_t valid;
	uint8_t reserved1[44];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	/* bytes 0..191 above are MACed */
	uint8_t cpusvnle[16];
	uint16_t isvprodidle;
	uint16_t isvsvnle;
	uint8_t reserved4[24];
	uint32_t maskedmiscselectle;
	struct sgx_attributes maskedattributesle;
	uint8_t keyid[32];
	uint8_t mac[16];
} __attribute__((packed));

struct sgx_report_body {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t cet_attributes;
	uint8_t reserved1[11];
	uint8_t isvextprodid[16];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t config_id[64];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint16_t configsvn;
	uint8_t reserved4[42];
	uint8_t isvfamilyid[16];
	uint8_t reportdata[64];
} __attribute__((packed));

struct sgx_report {
	struct sgx_report_body body;
	uint8_t keyid[32];
	uint8_t mac[16];
} __attribute__((packed));

struct sgx_targetinfo {
	uint8_t measurement[32];
	struct sgx_attributes attributes;
	uint8_t cet_attributes;
	uint8_t reserved1;
	uint16_t config_svn;
	uint32_t miscselect;
	uint8_t reserved2[8];
	uint8_t config_id[64];
	uint8_t reserved3[384];
} __attribute__((packed));

struct sgx_keyrequest {
	uint16_t keyname;
	uint16_t keypolicy;
	uint16_t isvsvn;
	uint16_t reserved1;
	uint8_t cpusvn[16];
	struct sgx_attributes attributemask;
	uint8_t keyid[32];
	uint32_t miscmask;
	uint16_t configsvn;
	uint8_t reserved2[434];
} __attribute__((packed));

/* A VA page: 512 eight-byte version slots; 0 means empty. */
struct sgx_va_page {
	uint64_t slot[SGX_VA_SLOT_COUNT];
} __attribute__((packed));

#define SGX_ASSERT_LAYOUT(type, member, off) \
	_Static_assert(offsetof(type, member) == (off), #type "." #member " must be at " #off)
#define SGX_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " must be " #size " bytes")

SGX_ASSERT_SIZE(struct sgx_attributes, 16);

SGX_ASSERT_SIZE(struct sgx_secs, 4096);
SGX_ASSERT_LAYOUT(struct sgx_secs, size, 0);
SGX_ASSERT_LAYOUT(struct sgx_secs, base, 8);
SGX_ASSERT_LAYOUT(struct sgx_secs, ssa_frame_size, 16);
SGX_ASSERT_LAYOUT(struct sgx_secs, miscselect, 20);
SGX_ASSERT_LAYOUT(struct sgx_secs, reserved1, 24);
SGX_ASSERT_LAYOUT(struct sgx_secs, attributes, 48);
SGX_ASSERT_LAYOUT(struct sgx_secs, mrenclave, 64);
SGX_ASSERT_LAYOUT(struct sgx_secs, reserved2, 96);
SGX_ASSERT_LAYOUT(struct sgx_secs, mrsigner, 128);
SGX_ASSERT_LAYOUT(struct sgx_secs, reserved3, 160);
SGX_ASSERT_LAYOUT(struct sgx_secs, config_id, 192);
SGX_ASSERT_LAYOUT(struct sgx_secs, isv_prod_id, 256);
SGX_ASSERT_LAYOUT(struct sgx_secs, isv_svn, 258);
SGX_ASSERT_LAYOUT(struct sgx_secs, config_svn, 260);
SGX_ASSERT_LAYOUT(struct sgx_secs, reserved4, 262);

SGX_ASSERT_SIZE(struct sgx_tcs, 4096);
SGX_ASSERT_LAYOUT(struct sgx_tcs, state, 0);
SGX_ASSERT_LAYOUT(struct sgx_tcs, flags, 8);
SGX_ASSERT_LAYOUT(struct sgx_tcs, ossa, 16);
SGX_ASSERT_LAYOUT(struct sgx_tcs, cssa, 24);
SGX_ASSERT_LAYOUT(struct sgx_tcs, nssa, 28);
SGX_ASSERT_LAYOUT(struct sgx_tcs, oentry, 32);
SGX_ASSERT_LAYOUT(struct sgx_tcs, aep, 40);
SGX_ASSERT_LAYOUT(struct sgx_tcs, ofsbase, 48);
SGX_ASSERT_LAYOUT(struct sgx_tcs, ogsbase, 56);
SGX_ASSERT_LAYOUT(struct sgx_tcs, fslimit, 64);
SGX_ASSERT_LAYOUT(struct sgx_tcs, gslimit, 68);
SGX_ASSERT_LAYOUT(struct sgx_tcs, reserved, 72);

SGX_ASSERT_SIZE(struct sgx_gprsgx, SGX_SSA_GPRS_SIZE);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rax, 0);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rcx, 8);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rdx, 16);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rbx, 24);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rsp, 32);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rbp, 40);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rsi, 48);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rdi, 56);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, r8, 64);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, r15, 120);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rflags, 128);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, rip, 136);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, ursp, 144);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, urbp, 152);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, exitinfo, 160);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, aexnotify, 167);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, fsbase, 168);
SGX_ASSERT_LAYOUT(struct sgx_gprsgx, gsbase, 176);

SGX_ASSERT_SIZE(struct sgx_exinfo, SGX_SSA_MISC_EXINFO_SIZE);
SGX_ASSERT_LAYOUT(struct sgx_exinfo, maddr, 0);
SGX_ASSERT_LAYOUT(struct sgx_exinfo, errcd, 8);

SGX_ASSERT_SIZE(struct sgx_pageinfo, 32);
SGX_ASSERT_LAYOUT(struct sgx_pageinfo, addr, 0);
SGX_ASSERT_LAYOUT(struct sgx_pageinfo, contents, 8);
SGX_ASSERT_LAYOUT(struct sgx_pageinfo, metadata, 16);
SGX_ASSERT_LAYOUT(struct sgx_pageinfo, secs, 24);

SGX_ASSERT_SIZE(struct sgx_secinfo, 64);
SGX_ASSERT_LAYOUT(struct sgx_secinfo, reserved, 8);

SGX_ASSERT_SIZE(struct sgx_pcmd, 128);
SGX_ASSERT_LAYOUT(struct sgx_pcmd, enclave_id, 64);
SGX_ASSERT_LAYOUT(struct sgx_pcmd, reserved, 72);
SGX_ASSERT_LAYOUT(struct sgx_pcmd, mac, 112);

SGX_ASSERT_SIZE(struct sgx_sigstruct_header, 128);
SGX_ASSERT_SIZE(struct sgx_sigstruct_body, 128);
SGX_ASSERT_SIZE(struct sgx_sigstruct, 1808);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.header1, 0);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.vendor, 16);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.date, 20);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.header2, 24);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.swdefined, 40);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, header.reserved, 44);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, modulus, 128);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, exponent, 512);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, signature, 516);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.miscselect, 900);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.misc_mask, 904);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.cet_attributes, 908);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.cet_attributes_mask, 909);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.reserved1, 910);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.isvfamilyid, 912);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.attributes, 928);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.attributes_mask, 944);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.enclavehash, 960);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.reserved2, 992);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.isvextprodid, 1008);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.isvprodid, 1024);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, body.isvsvn, 1026);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, reserved4, 1028);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, q1, 1040);
SGX_ASSERT_LAYOUT(struct sgx_sigstruct, q2, 1424);

SGX_ASSERT_SIZE(struct sgx_einittoken, SGX_LAUNCH_TOKEN_SIZE);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, valid, 0);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, reserved1, 4);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, attributes, 48);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, mrenclave, 64);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, reserved2, 96);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, mrsigner, 128);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, reserved3, 160);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, cpusvnle, 192);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, isvprodidle, 208);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, isvsvnle, 210);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, reserved4, 212);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, maskedmiscselectle, 236);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, maskedattributesle, 240);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, keyid, 256);
SGX_ASSERT_LAYOUT(struct sgx_einittoken, mac, 288);

SGX_ASSERT_SIZE(struct sgx_report_body, 384);
SGX_ASSERT_SIZE(struct sgx_report, 432);
SGX_ASSERT_LAYOUT(struct sgx_report, body.cpusvn, 0);
SGX_ASSERT_LAYOUT(struct sgx_report, body.miscselect, 16);
SGX_ASSERT_LAYOUT(struct sgx_report, body.cet_attributes, 20);
SGX_ASSERT_LAYOUT(struct sgx_report, body.isvextprodid, 32);
SGX_ASSERT_LAYOUT(struct sgx_report, body.attributes, 48);
SGX_ASSERT_LAYOUT(struct sgx_report, body.mrenclave, 64);
SGX_ASSERT_LAYOUT(struct sgx_report, body.reserved2, 96);
SGX_ASSERT_LAYOUT(struct sgx_report, body.mrsigner, 128);
SGX_ASSERT_LAYOUT(struct sgx_report, body.reserved3, 160);
SGX_ASSERT_LAYOUT(struct sgx_report, body.config_id, 192);
SGX_ASSERT_LAYOUT(struct sgx_report, body.isvprodid, 256);
SGX_ASSERT_LAYOUT(struct sgx_report, body.isvsvn, 258);
SGX_ASSERT_LAYOUT(struct sgx_report, body.configsvn, 260);
SGX_ASSERT_LAYOUT(struct sgx_report, body.reserved4, 262);
SGX_ASSERT_LAYOUT(struct sgx_report, body.isvfamilyid, 304);
SGX_ASSERT_LAYOUT(struct sgx_report, body.reportdata, 320);
SGX_ASSERT_LAYOUT(struct sgx_report, keyid, 384);
SGX_ASSERT_LAYOUT(struct sgx_report, mac, 416);

SGX_ASSERT_SIZE(struct sgx_targetinfo, 512);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, measurement, 0);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, attributes, 32);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, cet_attributes, 48);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, reserved1, 49);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, config_svn, 50);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, miscselect, 52);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, reserved2, 56);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, config_id, 64);
SGX_ASSERT_LAYOUT(struct sgx_targetinfo, reserved3, 128);

SGX_ASSERT_SIZE(struct sgx_keyrequest, 512);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, keyname, 0);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, keypolicy, 2);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, isvsvn, 4);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, reserved1, 6);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, cpusvn, 8);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, attributemask, 24);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, keyid, 40);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, miscmask, 72);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, configsvn, 76);
SGX_ASSERT_LAYOUT(struct sgx_keyrequest, reserved2, 78);

SGX_ASSERT_SIZE(struct sgx_va_page, 4096);

#endif /* SGXEMU_ARCH_H */
