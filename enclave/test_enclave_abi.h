/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's ABI: everything a host needs to drive build/enclave/test_enclave.sgxs, and
 * nothing else (only <stdint.h>, so a host written against libc and <asm/sgx.h> alone can use it).
 * enclave/README.md explains the design; this header is the contract.
 *
 * ## Ordinary call (EENTER with CSSA = 0)
 *
 *   in:  RDI = operation (TE_OP_*), RSI = address of a struct te_args in untrusted memory.
 *        RBX = TCS and RCX = return address are what EENTER defines; RAX = CSSA = 0.
 *   The enclave checks that the argument block lies entirely outside ELRANGE (TE_ERR_ARGS if it
 *   does not; the block is then left untouched), copies the header and the op's input in, runs the op, and copies the header and the
 *   op's output back. It then EEXITs to the return address with:
 *   out: RDI = status (TE_OK or TE_ERR_*; also written to te_args.status),
 *        RAX = 4 (EEXIT: the leaf stays in RAX, the architecture gives no other choice),
 *        RBX = the return address, RCX = the AEP (set by EEXIT),
 *        RSP, RBP, R12-R15 = the values at EENTER,
 *        RSI, RDX, R8-R11 = 0; RFLAGS: DF = 0, AC = 0, arithmetic flags undefined.
 *   The enclave's C code uses no SSE/AVX/x87 registers, so MXCSR, the x87 control word and the
 *   vector registers reach the host as the host left them (except TE_OP_FAULT, which loads XMM0,
 *   and TE_OP_SPIN with TE_SPIN_VECTOR, which uses XMM0 and XMM1).
 *   With the vDSO (no user_handler) the host reads the status from te_args.status.
 *
 * ## Exception handler (EENTER with CSSA > 0): the "second phase"
 *
 *   After an AEX the host may EENTER the same TCS again; EENTER then gives RAX = CSSA >= 1 and the
 *   enclave runs its handler on SSA frame CSSA-1 instead of an operation (RDI is ignored). It
 *   reads GPRSGX (at the end of the frame), EXINFO (the 16 bytes below GPRSGX) and a few XSAVE
 *   fields, records them in the exception log (TE_OP_GET_EXCEPTIONS), applies the policy set with
 *   TE_OP_SET_POLICY, and EEXITs with RDI = TE_EXC_* (below). If RSI points at a te_args outside
 *   ELRANGE, the status and the record are also written there (te_args.u.handler).
 *   The host then ERESUMEs: with TE_ACTION_SKIP the interrupted code continues after the faulting
 *   instruction; with TE_ACTION_RECORD it re-executes it.
 *   The handler runs on the thread's own stack, 128 bytes (the red zone) below the interrupted RSP
 *   (or at the stack top if the interrupted RSP is not on this thread's stack), so CSSA = 2 (the
 *   handler itself faulted, TE_POLICY_NESTED) works when the TCS has NSSA >= 3.
 *
 * ## Operation numbers, argument structs, and what each does: below.
 */
#ifndef TEST_ENCLAVE_ABI_H
#define TEST_ENCLAVE_ABI_H

#include <stdint.h>

/* ---- statuses (RDI at EEXIT, te_args.status) --------------------------------------------- */

#define TE_OK 0
#define TE_ERR_OP 1    /* unknown operation number */
#define TE_ERR_ARGS 2  /* argument block is NULL, wraps, or overlaps ELRANGE */
#define TE_ERR_PARAM 3 /* a field of the argument block is out of range */
#define TE_ERR_RELOC 4 /* self-relocation failed at the first entry (unsupported relocation) */

/* Second phase (CSSA > 0) */
#define TE_EXC_HANDLED 0x100   /* policy applied: the SSA frame was edited, ERESUME continues */
#define TE_EXC_RECORDED 0x101  /* recorded only (TE_ACTION_RECORD, or EXITINFO.VALID = 0) */
#define TE_EXC_UNHANDLED 0x102 /* TE_ACTION_SKIP, but RIP is no known fault site: frame untouched */
#define TE_EXC_NO_STACK \
	0x103 /* the interrupted RSP is on this thread's stack but too deep to run
				   the handler below it; nothing was read or written */

/* ---- operations (RDI) --------------------------------------------------------------------- */

enum te_op {
	TE_OP_ECHO = 1,	       /* u.echo: round trip and arithmetic */
	TE_OP_INFO = 2,	       /* u.info: where things are */
	TE_OP_BUF_PUT = 3,     /* u.buf: copy data[0..len) to the enclave buffer at offset */
	TE_OP_BUF_GET = 4,     /* u.buf: copy the enclave buffer [offset, offset+len) to data */
	TE_OP_READ = 5,	       /* u.mem: value = the 8 bytes at addr (any address, any alignment) */
	TE_OP_WRITE = 6,       /* u.mem: the 8 bytes at addr = value */
	TE_OP_EACCEPT = 7,     /* u.sgx2: EACCEPT RBX=&SECINFO{secinfo_flags}, RCX=addr */
	TE_OP_EACCEPTCOPY = 8, /* u.sgx2: EACCEPTCOPY RBX=&SECINFO, RCX=addr, RDX=src */
	TE_OP_EMODPE = 9,      /* u.sgx2: EMODPE RBX=&SECINFO, RCX=addr */
	TE_OP_EREPORT = 10,    /* u.ereport: EREPORT with aligned in-enclave copies */
	TE_OP_EGETKEY = 11,    /* u.egetkey: EGETKEY with an aligned in-enclave copy */
	TE_OP_ENCLU = 12,      /* u.enclu: ENCLU with the host's RAX/RBX/RCX/RDX (not EEXIT) */
	TE_OP_FAULT = 13,      /* u.fault: raise one exception at a known site */
	TE_OP_TOUCH = 14,      /* u.touch: write and/or verify a pattern over N pages */
	TE_OP_SPIN = 15,       /* u.spin: N iterations of a checksum the host can recompute */
	TE_OP_SET_POLICY = 16, /* u.policy: the exception handler's policy (returns the old one) */
	TE_OP_GET_EXCEPTIONS = 17, /* u.exceptions: the exception log, most recent first */
	TE_OP_MAX
};

/* ---- argument structs ------------------------------------------------------------------- */

/* TE_OP_ECHO. out: echo = a, sum = a + b, difference = a - b, product = a * b (mod 2^64). */
struct te_echo {
	uint64_t a, b;
	uint64_t echo, sum, difference, product;
};

/* TE_OP_INFO (all out). Addresses are absolute (linear), computed inside the enclave. */
struct te_info {
	uint64_t base;	       /* the enclave base (BASEADDR) as the enclave finds it */
	uint64_t enclave_size; /* SECS.SIZE, from the TLS page */
	uint64_t tcs;	       /* RBX at this EENTER: this thread's TCS */
	uint64_t tls;	       /* this thread's TLS page (FS/GS base) */
	uint64_t ssa;	       /* this thread's SSA frame 0 */
	uint32_t nssa, ssa_frame_size;
	uint32_t thread_index, nr_threads;
	uint64_t stack_top, stack_bottom;
	uint64_t heap, heap_size;
	uint64_t image_end;   /* free ELRANGE (for SGX2 EAUG) is [image_end, base + enclave_size) */
	uint64_t buffer;      /* the enclave buffer: TE_BUFFER_SIZE bytes, page aligned, RW */
	uint64_t ro_page;     /* a page-aligned read-only page of the image (non-zero contents) */
	uint64_t cssa;	      /* RAX at this EENTER (0) */
	uint64_t entries;     /* EENTERs on this TCS so far, this one included */
	uint64_t relocations; /* R_X86_64_RELATIVE relocations applied at the first entry */
};

#define TE_BUFFER_SIZE (2 * 4096)
#define TE_XFER_MAX 4096

/* TE_OP_BUF_PUT / TE_OP_BUF_GET: offset + len <= TE_BUFFER_SIZE, len <= TE_XFER_MAX. */
struct te_buf {
	uint64_t offset;
	uint64_t len;
	uint8_t data[TE_XFER_MAX];
};

/* TE_OP_READ / TE_OP_WRITE */
struct te_mem {
	uint64_t addr;
	uint64_t value;
};

/* Bits of te_sgx2.flags_out / te_egetkey.flags_out / te_enclu.flags_out after ENCLU. */
#define TE_FLAG_CF (1U << 0)
#define TE_FLAG_ZF (1U << 6)

/*
 * TE_OP_EACCEPT, TE_OP_EACCEPTCOPY, TE_OP_EMODPE. The SECINFO is built on the enclave stack
 * (64-aligned, FLAGS = secinfo_flags, the rest zero). rax_out is RAX after ENCLU: the SGX status
 * for EACCEPT/EACCEPTCOPY (0 = success), unchanged (6) for EMODPE. A fault (#GP, #PF) is an AEX
 * like any other.
 */
struct te_sgx2 {
	uint64_t addr; /* RCX: the target page */
	uint64_t secinfo_flags;
	uint64_t src; /* RDX: EACCEPTCOPY's source page (e.g. the enclave buffer) */
	uint64_t rax_out;
	uint32_t flags_out; /* TE_FLAG_ZF / TE_FLAG_CF */
	uint32_t reserved;
};

/* TE_OP_EREPORT: TARGETINFO and REPORTDATA in, the 432-byte REPORT out. */
struct te_ereport {
	uint8_t targetinfo[512];
	uint8_t reportdata[64];
	uint8_t report[432];
};

/* TE_OP_EGETKEY: KEYREQUEST in; RAX (status) and, on success, the key out. */
struct te_egetkey {
	uint8_t keyrequest[512];
	uint64_t rax_out;
	uint32_t flags_out;
	uint32_t reserved;
	uint8_t key[16];
};

/*
 * TE_OP_ENCLU: any leaf but EEXIT (TE_ERR_PARAM) with the host's register values; operands are
 * addresses the host chose (typically in te_info.buffer, filled with TE_OP_BUF_PUT and read back
 * with TE_OP_BUF_GET). For instruction-level tests: misaligned operands, wrong leaves, EENTER
 * from inside, reserved fields.
 */
struct te_enclu {
	uint64_t rax, rbx, rcx, rdx;		     /* in */
	uint64_t rax_out, rbx_out, rcx_out, rdx_out; /* out */
	uint32_t flags_out;
	uint32_t reserved;
};

/* TE_OP_FAULT kinds. "Site" = the faulting instruction; fault_rip and resume_rip locate it. */
enum te_fault_kind {
	TE_FAULT_UD2 = 1,     /* ud2: #UD (6) */
	TE_FAULT_INT3 = 2,    /* int3: #BP (3), EXIT_TYPE 6; a trap, the SSA RIP is after it */
	TE_FAULT_DIV0 = 3,    /* divq of a zero in memory: #DE (0) */
	TE_FAULT_SYSCALL = 4, /* syscall (RAX = 39, getpid): #UD in enclave mode */
	TE_FAULT_CPUID = 5,   /* cpuid (EAX = 0): #UD in enclave mode */
	TE_FAULT_WRITE = 6,   /* movq %rdx, (addr); addr 0 = te_info.ro_page: #PF 0x8007 */
	TE_FAULT_READ = 7,    /* movq (addr), %rax; addr 0 = te_info.image_end (unmapped ELRANGE) */
	TE_FAULT_GP = 8,   /* movq (addr), %rax; addr 0 = 0x8000000000000000 (non-canonical): #GP */
	TE_FAULT_EXEC = 9, /* call *addr; addr 0 = te_info.ro_page (not executable): #PF, I/D */
	TE_FAULT_MAX
};

/*
 * TE_OP_FAULT. Just before the site, the registers hold a pattern the host can find in the SSA
 * (te_exc_record.gpr): RCX, RDX, RBX, RBP, RSI, RDI, R8-R15 = seed + i, where i is the register's
 * index in GPRSGX order (RCX 1, RDX 2, RBX 3, RBP 5, RSI 6, RDI 7, R8 8 ... R15 15); RAX = the
 * target address (WRITE/READ/GP/EXEC), 39 (SYSCALL) or 0 (CPUID, UD2, INT3, DIV0); XMM0 = {seed, 0}.
 * Exceptions to the pattern: SYSCALL (RCX, R11 are clobbered before the trap when it is emulated).
 * If the instruction does not fault (e.g. cpuid or syscall where nothing makes them trap), it just
 * executes. After the site (skipped by the handler, or completed) rax_out = RAX.
 */
struct te_fault {
	uint64_t kind;
	uint64_t addr;
	uint64_t seed;
	uint64_t fault_rip;  /* out: address of the faulting instruction */
	uint64_t resume_rip; /* out: where TE_ACTION_SKIP resumes */
	uint64_t rax_out;    /* out: RAX after the site (TE_POLICY_SET_RAX shows up here) */
	uint64_t exceptions; /* out: handler runs (all threads) while this op ran */
};

/* Pattern modes for TE_OP_TOUCH */
#define TE_TOUCH_WRITE (1U << 0)   /* write the pattern */
#define TE_TOUCH_VERIFY (1U << 1)  /* compare with the pattern (after writing, if both) */
#define TE_TOUCH_RANDOM (1U << 2)  /* visit pages in a pseudo-random order (a permutation) */
#define TE_TOUCH_EACCEPT (1U << 3) /* EACCEPT(REG|R|W|PENDING) each page before writing it */

/*
 * TE_OP_TOUCH: visits npages pages from addr (page aligned; addr = 0 means the heap, and then
 * npages = 0 means the whole heap). Word w of the page at enclave offset off holds
 * te_pattern(seed, off + 8 * w). Writing and verifying are separate passes over all pages.
 */
struct te_touch {
	uint64_t addr;
	uint64_t npages;
	uint64_t seed;
	uint32_t mode; /* TE_TOUCH_* */
	uint32_t reserved;
	uint64_t pages_done;	   /* out: pages visited in the last pass */
	uint64_t mismatches;	   /* out: words that differed from the pattern */
	uint64_t first_mismatch;   /* out: address of the first differing word, or 0 */
	uint64_t eaccept_failures; /* out: EACCEPTs that returned a status */
	uint64_t eaccept_status;   /* out: the first such status */
};

/*
 * TE_OP_SPIN: `iterations` steps of te_spin_step from seed, entirely in registers. If stop_addr is
 * non-zero it must be outside ELRANGE; every 1024 steps the loop stops early once the 8 bytes there
 * are non-zero. checksum = te_spin_checksum(seed, done), which the host recomputes: any register
 * corrupted by an AEX/ERESUME shows up. With TE_SPIN_VECTOR the loop (in assembly) also sums the
 * states in XMM0, and checksum = te_spin_vector_checksum(seed, done): XMM state lost or corrupted
 * across an AEX shows up too (XMM0 and XMM1 reach the host modified).
 */
#define TE_SPIN_VECTOR (1U << 0)

struct te_spin {
	uint64_t iterations;
	uint64_t seed;
	uint64_t stop_addr;
	uint32_t flags; /* TE_SPIN_* */
	uint32_t reserved;
	uint64_t done;	   /* out */
	uint64_t checksum; /* out */
};

/* Handler actions */
#define TE_ACTION_RECORD 0 /* record only; ERESUME re-executes the faulting instruction */
#define TE_ACTION_SKIP 1   /* record and move RIP to the site's resume point (te_fault sites) */

/* Handler policy flags */
#define TE_POLICY_SET_RAX (1U << 0) /* with SKIP: also set the frame's RAX to policy.rax */
#define TE_POLICY_NESTED \
	(1U << 1) /* the next CSSA = 1 handler executes one ud2 (a known
					    site) before finishing: AEX with CSSA = 2 */
#define TE_POLICY_CORRUPT_XSAVE \
	(1U << 2) /* the next handler writes 1 to a reserved byte of the
					     frame's XSAVE header: ERESUME must #GP */

/* TE_OP_SET_POLICY: in = the new policy; out = the previous one. NESTED and CORRUPT_XSAVE are
 * one-shot: they are cleared when they fire. */
struct te_policy {
	uint32_t action;
	uint32_t flags;
	uint64_t rax;
};

/* GPRSGX as in the SDM (ref/sgx-isa.md §1.5), 184 bytes. */
struct te_gprsgx {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags, rip, ursp, urbp;
	uint32_t exitinfo;
	uint8_t reserved[3];
	uint8_t aexnotify;
	uint64_t fsbase, gsbase;
};

_Static_assert(sizeof(struct te_gprsgx) == 184, "GPRSGX is 184 bytes");
_Static_assert(__builtin_offsetof(struct te_gprsgx, exitinfo) == 160, "EXITINFO at 160");
_Static_assert(__builtin_offsetof(struct te_gprsgx, fsbase) == 168, "FSBASE at 168");

/* One handler run, as the handler found the frame (before any edit). */
struct te_exc_record {
	uint64_t seq;	       /* 1, 2, ... in the order handler runs finished; 0 = empty */
	uint64_t tcs;	       /* RBX at the handler's EENTER */
	uint32_t cssa;	       /* RAX at the handler's EENTER; the frame read is CSSA - 1 */
	uint32_t outcome;      /* TE_EXC_* the handler exited with */
	uint64_t ssa_frame;    /* address of the frame read */
	uint64_t exinfo_maddr; /* EXINFO.MADDR (meaningful with MISCSELECT.EXINFO, #PF/#GP) */
	uint32_t exinfo_errcd; /* EXINFO.ERRCD */
	uint32_t mxcsr;	       /* XSAVE legacy area: MXCSR */
	uint64_t xstate_bv;    /* XSAVE header: XSTATE_BV */
	uint64_t xmm0[2];      /* XSAVE legacy area: XMM0 */
	uint64_t new_rip;      /* the RIP the handler wrote into the frame, 0 if none */
	struct te_gprsgx gpr;  /* GPRSGX; gpr.exitinfo is EXITINFO */
};

#define TE_EXC_LOG 8

/* TE_OP_GET_EXCEPTIONS */
struct te_exceptions {
	uint32_t clear;			      /* in: empty the log after copying it */
	uint32_t count;			      /* out: valid records */
	uint64_t total;			      /* out: handler runs since the last clear */
	struct te_exc_record rec[TE_EXC_LOG]; /* out: most recent first */
};

/* The argument block (RSI). */
struct te_args {
	int64_t status; /* out: TE_OK, TE_ERR_*, or TE_EXC_* from the handler */
	uint64_t reserved[3];
	union {
		struct te_echo echo;
		struct te_info info;
		struct te_buf buf;
		struct te_mem mem;
		struct te_sgx2 sgx2;
		struct te_ereport ereport;
		struct te_egetkey egetkey;
		struct te_enclu enclu;
		struct te_fault fault;
		struct te_touch touch;
		struct te_spin spin;
		struct te_policy policy;
		struct te_exceptions exceptions;
		struct te_exc_record handler; /* second phase: the record just made */
	} u;
};

/* ---- functions the host and the enclave share ---------------------------------------------- */

/* splitmix64: the TE_OP_TOUCH pattern for the word at enclave offset `offset`. */
static inline uint64_t te_pattern(uint64_t seed, uint64_t offset)
{
	uint64_t z = seed + offset * 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* One TE_OP_SPIN step: an LCG with an xorshift, so every bit of state matters. */
static inline uint64_t te_spin_step(uint64_t x, uint64_t i)
{
	x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x ^ (x >> 29) ^ i;
}

static inline uint64_t te_spin_checksum(uint64_t seed, uint64_t iterations)
{
	uint64_t x = seed;

	for (uint64_t i = 0; i < iterations; i++)
		x = te_spin_step(x, i);
	return x;
}

/* TE_SPIN_VECTOR: the final state XOR the sum (mod 2^64) of every state after a step. */
static inline uint64_t te_spin_vector_checksum(uint64_t seed, uint64_t iterations)
{
	uint64_t x = seed, sum = 0;

	for (uint64_t i = 0; i < iterations; i++) {
		x = te_spin_step(x, i);
		sum += x;
	}
	return x ^ sum;
}

#endif /* TEST_ENCLAVE_ABI_H */
