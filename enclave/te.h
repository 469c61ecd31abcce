/* SPDX-License-Identifier: MIT */
/*
 * Internals of the test enclave: the entry frame the assembly entry builds, the few library
 * functions a freestanding image needs, ENCLU wrappers, and the operation handlers.
 */
#ifndef TE_H
#define TE_H

#include <stddef.h>
#include <stdint.h>

#include <sgxemu/enclave_tls.h>

#include "test_enclave_abi.h"

#define TE_PAGE_SIZE 4096UL
#define TE_HIDDEN __attribute__((visibility("hidden")))

/* ENCLU leaves used inside the enclave (ref/sgx-isa.md §0). */
#define TE_EREPORT 0
#define TE_EGETKEY 1
#define TE_EEXIT 4
#define TE_EACCEPT 5
#define TE_EMODPE 6
#define TE_EACCEPTCOPY 7

/* What entry.S pushes on the enclave stack; the C entry gets a pointer to it. */
struct te_entry_frame {
	uint64_t args; /* RSI at EENTER */
	uint64_t cssa; /* RAX at EENTER */
	uint64_t tcs;  /* RBX at EENTER */
	uint64_t ret;  /* RCX at EENTER: where EEXIT goes */
	uint64_t urbp;
	uint64_t ursp;
};

/* Per-thread state the enclave keeps in its TLS page, after the packer's header. */
struct te_thread {
	uint64_t entries;
};

/* The enclave base: the image is linked at 0, so the ELF header sits at BASEADDR. */
extern const char __ehdr_start[] TE_HIDDEN;

static inline uint64_t te_base(void)
{
	return (uint64_t)__ehdr_start;
}

/* The packer's TLS page, read through GS (EENTER loaded GS.base from TCS.OGSBASE). */
static inline uint64_t te_tls_read(unsigned int offset)
{
	uint64_t v;

	asm volatile("movq %%gs:(%1), %0" : "=r"(v) : "r"((uint64_t)offset));
	return v;
}

static inline const struct sgxemu_tls *te_tls(void)
{
	return (const struct sgxemu_tls *)(te_base() + te_tls_read(SGXEMU_TLS_OFF_SELF));
}

static inline struct te_thread *te_thread(void)
{
	return (struct te_thread *)((uint64_t)te_tls() + SGXEMU_TLS_HEADER_SIZE);
}

/* [addr, addr + len) lies entirely outside ELRANGE, does not wrap and is not at address 0. */
int te_outside_enclave(uint64_t addr, uint64_t len);
int te_inside_enclave(uint64_t addr, uint64_t len);

/* Freestanding library (lib.c); the compiler may also emit calls to these. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* A tiny test-and-set lock; holders never wait for the host. */
static inline void te_lock(volatile uint32_t *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void te_unlock(volatile uint32_t *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* One ENCLU; returns RAX and reports ZF/CF as TE_FLAG_*. */
struct te_enclu_regs {
	uint64_t rax, rbx, rcx, rdx;
};

static inline uint32_t te_enclu(struct te_enclu_regs *r)
{
	uint8_t zf, cf;

	asm volatile("enclu"
		     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx), "=@ccz"(zf),
		       "=@ccc"(cf)
		     :
		     : "memory");
	return (zf ? TE_FLAG_ZF : 0) | (cf ? TE_FLAG_CF : 0);
}

/* reloc.c: applies the image's relocations once; 0 on success. */
int te_relocate_once(void);
uint64_t te_relocation_count(void);

/* handler.c */
int64_t te_handle_exception(const struct te_entry_frame *f);
int64_t te_op_set_policy(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_get_exceptions(struct te_args *a, const struct te_entry_frame *f);
uint64_t te_exception_seq(void);

/* Fault sites (fault.S): one per te_fault_kind. */
uint64_t te_fault_trigger(uint64_t kind, uint64_t addr, uint64_t seed);
void te_nested_fault(void);
/* spin.S: TE_OP_SPIN with TE_SPIN_VECTOR; returns the checksum, *done = iterations run. */
uint64_t te_spin_vector(uint64_t seed, uint64_t iterations, uint64_t stop_addr, uint64_t *done);

/* A fixup entry: the faulting instruction, where SKIP resumes, and how (fault.S emits them). */
struct te_fixup {
	int32_t fault;	/* relative to &fault */
	int32_t resume; /* relative to &resume */
	int32_t type;
};

#define TE_FIXUP_FAULT 0 /* RIP = fault: resume there */
#define TE_FIXUP_TRAP 1	 /* the SSA RIP is already past the instruction (int3) */
#define TE_FIXUP_CALL 2	 /* `call *reg` to a bad target: RIP = target, [RSP] = fault */

const struct te_fixup *te_fixup_find(uint64_t rip, uint64_t *resume);
uint64_t te_fixup_address(const int32_t *field);

/* The operations (ops_*.c). */
typedef int64_t (*te_op_fn)(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_echo(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_info(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_buf_put(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_buf_get(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_read(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_write(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_eaccept(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_eacceptcopy(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_emodpe(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_ereport(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_egetkey(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_enclu(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_fault(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_touch(struct te_args *a, const struct te_entry_frame *f);
int64_t te_op_spin(struct te_args *a, const struct te_entry_frame *f);

extern uint8_t te_buffer[TE_BUFFER_SIZE] TE_HIDDEN;
extern const uint8_t te_ro_page[TE_PAGE_SIZE] TE_HIDDEN;

/* SECINFO, 64-byte aligned as EACCEPT/EMODPE require. */
struct te_secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((aligned(64)));

#define TE_SECINFO_R 0x1ULL
#define TE_SECINFO_W 0x2ULL
#define TE_SECINFO_PENDING 0x8ULL
#define TE_SECINFO_REG 0x200ULL

#endif /* TE_H */
