/* SPDX-License-Identifier: MIT */
/*
 * The processor's insides, shared by the files of src/cpu/ and by nothing else. The layers
 * above use cpu.h, encls.h and enclu.h.
 *
 * Files and what they own:
 *   cpu.c        creation, sections, CPUID, power cycle, statistics, hooks
 *   lp.c         ENCLS logical processors, MSRs
 *   epcm.c       EPCM entries, frame storage, per-page leaf locks
 *   pgtable.c    the linear -> EPC page table
 *   slice.c      per-enclave storage slices and the SECS/VA pool
 *   encls.c      sgx_encls() dispatch and the common prologue
 *   encls_*.c    the ENCLS leaves, grouped by flow (build, sgx2, paging, debug)
 *   einit.c      EINIT and launch control
 *   paging_crypto.c  EWB/ELDU AES-GCM and the MAC header
 *   track.c      epoch tracking (ref §7.4)
 *   enclu*.c     ENCLU leaves, EENTER/ERESUME/EEXIT/AEX, sgx_cpu_access
 *   keys.c       key derivation, EREPORT MAC, EGETKEY
 *   measure.c    MRENCLAVE;  sigstruct.c  SIGSTRUCT checks
 */
#ifndef SGXEMU_CPU_INTERNAL_H
#define SGXEMU_CPU_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/uaccess.h"
#include "cpu/cpu.h"
#include "cpu/enclu.h"
#include "cpu/encls.h"
#include "cpu/measure.h"

/* --- EPCM ------------------------------------------------------------------------------- */

/* EPCM state bits, at the same positions as in SECINFO.FLAGS (BLOCKED has none there). */
#define SGX_EPCM_PENDING SGX_SECINFO_PENDING
#define SGX_EPCM_MODIFIED SGX_SECINFO_MODIFIED
#define SGX_EPCM_PR SGX_SECINFO_PR
#define SGX_EPCM_BLOCKED 0x40

struct sgx_epcm_entry {
	/*
	 * The "page in use by a leaf" lock of ref §10: 0 free, SGX_PAGE_LOCK_EXCL held exclusively,
	 * otherwise the number of shared holders. Leaves only ever try it: a conflict is an
	 * architectural answer (#GP or SGX_EPC_PAGE_CONFLICT), never a wait.
	 */
	uint32_t lock;
	uint8_t valid;
	uint8_t page_type; /* enum sgx_page_type */
	uint8_t rwx;       /* SGX_SECINFO_R | W | X */
	uint8_t state;     /* SGX_EPCM_PENDING | MODIFIED | PR | BLOCKED */
	sgx_paddr_t secs;  /* ENCLAVESECS: the owning SECS's frame (0 for SECS and VA pages) */
	uint64_t linaddr;  /* ENCLAVEADDRESS (0 for SECS and VA pages) */
	uint64_t bepoch;   /* the SECS's epoch at EBLOCK/EMODPR/EMODT (ref §7.4) */
};

#define SGX_PAGE_LOCK_EXCL 0xFFFFFFFFU
/*
 * Held exclusively by an SGX2 leaf (EMODPR, EMODT, EACCEPT, EACCEPTCOPY, EMODPE). Kept apart from
 * SGX_PAGE_LOCK_EXCL because the SDM answers differently depending on who holds the page: EMODPR
 * gives #GP against an SGX1 leaf but SGX_EPC_PAGE_CONFLICT against another SGX2 leaf.
 */
#define SGX_PAGE_LOCK_EXCL_SGX2 0xFFFFFFFEU

/* Per-frame emulator state beside the EPCM entry. */
struct sgx_frame {
	/*
	 * Where the frame's 4 KiB live in the CPU's own view: the enclave slice at linear offset for
	 * child pages, the pool at frame offset for SECS and VA pages, or a bound address (vEPC).
	 * Valid whenever the EPCM entry is valid.
	 */
	uint8_t *kva;
	uint8_t *bound_kva; /* sgx_cpu_bind_frame_storage(), NULL if unbound */
	struct sgx_bound_map *bound_map;
	/*
	 * A reference to a slice: for a SECS frame, the slice of the enclave's children; for a child
	 * frame stored in a slice, that slice (so storage outlives nothing that points into it).
	 */
	struct sgx_slice *slice;
	/*
	 * Content generation: bumped whenever the frame gets new contents other than by enclave
	 * code (attach, detach, EDBGWR), so that a copy tagged with it (the LP's EADD buffer) is
	 * known to still be the page.
	 */
	uint64_t gen;
	/* SECS frames: "SECS busy" try-locks of ref §3 (EADD/EEXTEND/EINIT; ETRACK). */
	uint32_t measure_lock;
	uint32_t track_lock;
};

/*
 * Hidden SECS state, kept where hardware keeps it: inside the SECS page's reserved area, so that
 * it is encrypted by EWB, restored by ELDU and lost with the EPC on a power cycle.
 */
#define SGX_SECS_HIDDEN_OFFSET 1024
struct sgx_secs_hidden {
	uint64_t eid;
	uint64_t chldcnt;        /* child pages in the EPC (atomic) */
	uint64_t virtchildcnt;
	uint64_t enclavecontext;
	struct sgx_measurement measurement;
	uint8_t padding[352];    /* PKCS#1 padding captured by EINIT, a key-derivation input */
	uint8_t isvfamilyid[16];
	uint8_t isvextprodid[16];
	/* Epoch tracking (ref §7.4), under track_spin; track.c owns these fields. */
	uint32_t track_spin;
	/* LPs in enclave mode in this enclave (SGX_ENCLAVE_ACT): kept by sgx_track_enter/exit,
	 * read with an atomic load; always cur_cnt + prev_cnt. */
	uint32_t lps_inside;
	uint64_t epoch;
	uint64_t cur_cnt;
	uint64_t prev_cnt;
	/*
	 * An EREMOVE of a child is in flight: EENTER/ERESUME #GP (§10). EREMOVE raises it, then reads
	 * lps_inside (both seq_cst); an entry must count itself in lps_inside first and then read
	 * removing (backing out with #GP if set), so that one of the two always sees the other.
	 */
	uint32_t removing;
};
_Static_assert(SGX_SECS_HIDDEN_OFFSET >= 262, "hidden state must live in SECS.reserved4");
_Static_assert(SGX_SECS_HIDDEN_OFFSET + sizeof(struct sgx_secs_hidden) <= 4096,
	       "hidden state must fit in the SECS page");

/* --- the processor ---------------------------------------------------------------------- */

struct sgx_section {
	sgx_paddr_t base;
	uint64_t size;
	uint64_t first_frame; /* index of its first frame in the cpu's frame arrays */
	uint64_t nr_frames;
};

struct sgx_lp {
	struct sgx_cpu *cpu;
	unsigned int id;
	pthread_mutex_t lock;
	bool busy;                 /* taken by a thread (under cpu->lp_wait_lock) */
	uint64_t lepubkeyhash[4];  /* IA32_SGXLEPUBKEYHASH0..3 of this LP */
	struct sgx_fault fault;    /* the last ENCLS fault */
	bool kernel_operands;      /* sgx_lp_set_kernel_operands(): operands are the caller's memory */
	uint64_t rflags;           /* RFLAGS after the last ENCLS */
	/*
	 * The LP's scratch page for paging (paging_crypto.c): ELDU decrypts into it so that a blob
	 * failing its MAC loads nothing; EWB encrypts into it before the ciphertext goes out.
	 */
	uint8_t page_buf[4096];
	/*
	 * The page the last EADD on this LP wrote (encls_build.c), tagged with its frame (index + 1,
	 * 0 for none) and that frame's gen: the kernel EEXTENDs a page right after adding it, and
	 * hashing this copy spares a page fault on the storage for every measured page.
	 */
	uint8_t eadd_buf[4096] __attribute__((aligned(64)));
	uint64_t eadd_buf_frame;
	uint64_t eadd_buf_gen;
	/* Paging crypto contexts, keyed once per power cycle (never per page). */
	EVP_CIPHER_CTX *gcm_enc;
	EVP_CIPHER_CTX *gcm_dec;
	uint64_t gcm_key_cycle;    /* power cycle the contexts were keyed in; ~0 = never keyed */
};

struct sgx_pgtable;
struct sgx_slice_table;
struct sgx_bound_map;

/*
 * SECS.ATTRIBUTES bits this processor implements (CPUID.(12H,1).EAX:EBX). INIT is set by EINIT
 * only; CET and AEX-Notify are not implemented, so they are not settable.
 */
#define SGX_ATTR_SUPPORTED_MASK (SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY | \
				 SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS)
/* MISCSELECT bits this processor implements (CPUID.(12H,0).EBX). */
#define SGX_MISC_SUPPORTED_MASK SGX_MISC_EXINFO
/*
 * log2 of the enclave size limit: CPUID.(12H,0).EDX[7:0] (32-bit) and [15:8] (64-bit); ECREATE
 * refuses SIZE >= 2^N. 56 in 64-bit mode, as processors after Skylake report (Skylake's 36 left
 * 32 GiB as the largest ELRANGE); the host's address space is the practical limit.
 */
#define SGX_MAX_ENCLAVE_SIZE_32_LOG2 31
#define SGX_MAX_ENCLAVE_SIZE_64_LOG2 56
/* Section i's base "physical" address: (i + 1) << 36, above any 64 GiB section, 52-bit clean. */
#define SGX_EPC_SECTION_BASE(i) ((sgx_paddr_t)((i) + 1) << 36)

struct sgx_cpu {
	struct sgxemu_config config;

	unsigned int nr_sections;
	struct sgx_section sections[SGXEMU_MAX_EPC_SECTIONS];
	uint64_t nr_frames;
	struct sgx_epcm_entry *epcm; /* nr_frames entries */
	struct sgx_frame *frames;    /* nr_frames entries */

	/* SECS and VA pages: one sparse memfd at frame offsets, mapped once. */
	int pool_fd;
	uint8_t *pool_kva;

	struct sgx_slice_table *slices;
	struct sgx_pgtable *pgtable;

	unsigned int nr_lps;
	struct sgx_lp *lps;
	pthread_mutex_t lp_wait_lock;
	pthread_cond_t lp_wait_cond;

	/* Storage bound with sgx_cpu_bind_frame_storage(): one mapping per file, refcounted. */
	pthread_mutex_t bind_lock;
	struct sgx_bound_map *bound_maps;

	/* XSAVE geometry of the host (CPUID 0xD), for SSA frame sizes and XFRM legality. */
	uint64_t xfrm_mask;       /* settable XFRM: CPUID.(12H,1).ECX:EDX */
	uint32_t xsave_offset[64];
	uint32_t xsave_size[64];

	/* CREGs (ref §9) */
	uint8_t cpusvn[16];
	uint8_t owner_epoch[16];
	uint8_t seal_fuses[16];
	uint8_t root_key[16];     /* the emulator's root of all derived keys */
	uint8_t report_keyid[32]; /* CR_REPORT_KEYID, new every power cycle */
	uint8_t paging_key[16];   /* CR_BASE_PK, new every power cycle */
	uint64_t next_eid;        /* atomic */
	uint64_t paging_version;  /* atomic, strictly increasing, never 0 */
	uint64_t power_cycles;    /* atomic */

	uint32_t unmasked_events; /* atomic: EINITs left to fail with SGX_UNMASKED_EVENT */
	sgx_cpu_pause_hook_t pause_hook;
	void *pause_arg;

	struct sgx_cpu_stats stats; /* updated with atomics */
};

/* Intel's power-on IA32_SGXLEPUBKEYHASH values (the SHA-256 of Intel's launch-enclave key). */
extern const uint64_t sgx_intel_lepubkeyhash[4];

/* Standard-format XSAVE size for the components of xfrm (576 for x87|SSE). */
uint32_t sgx_xsave_size(const struct sgx_cpu *cpu, uint64_t xfrm);
/* Is xfrm a value XCR0 could hold here (bits 1:0 set, supported, dependencies satisfied)? */
bool sgx_xfrm_legal(const struct sgx_cpu *cpu, uint64_t xfrm);

/* Atomic statistics updates. */
static inline void sgx_stat_inc(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* --- logical processors (lp.c) ---------------------------------------------------------- */

int sgx_lps_init(struct sgx_cpu *cpu);
void sgx_lps_destroy(struct sgx_cpu *cpu);
/* Every LP's launch-key MSRs back to Intel's hash (power-on and power cycle). */
void sgx_lps_reset_msrs(struct sgx_cpu *cpu);

/* --- frames and EPCM (epcm.c) ----------------------------------------------------------- */

/* The frame index of an EPC address (any byte inside the page), or -1 if it is not EPC. */
int64_t sgx_frame_index(const struct sgx_cpu *cpu, sgx_paddr_t addr);
sgx_paddr_t sgx_frame_paddr(const struct sgx_cpu *cpu, uint64_t index);
static inline struct sgx_epcm_entry *sgx_epcm(struct sgx_cpu *cpu, uint64_t index)
{
	return &cpu->epcm[index];
}

/* Try-locks of ref §10. False means another leaf holds the page: the caller answers the conflict. */
bool sgx_page_trylock_excl(struct sgx_cpu *cpu, uint64_t index);
bool sgx_page_trylock_shared(struct sgx_cpu *cpu, uint64_t index);
/* Exclusive for an SGX2 leaf; released with sgx_page_unlock_excl. */
bool sgx_page_trylock_excl_sgx2(struct sgx_cpu *cpu, uint64_t index);
/* After a failed try: was the page held by an SGX2 leaf (rather than an SGX1 one)? */
bool sgx_page_held_by_sgx2(struct sgx_cpu *cpu, uint64_t index);
void sgx_page_unlock_excl(struct sgx_cpu *cpu, uint64_t index);
void sgx_page_unlock_shared(struct sgx_cpu *cpu, uint64_t index);
bool sgx_trylock(uint32_t *word);
void sgx_unlock(uint32_t *word);

/* The SECS page image and its hidden state, for a valid PT_SECS frame. */
struct sgx_secs *sgx_secs_page(struct sgx_cpu *cpu, uint64_t secs_index);
struct sgx_secs_hidden *sgx_secs_hidden(struct sgx_cpu *cpu, uint64_t secs_index);

/*
 * Gives a frame that is becoming valid its storage: a child page of the enclave whose SECS is
 * secs_index at linaddr (the slice, created on first use), or a SECS/VA page (the pool), unless
 * the frame is bound. Returns the kva, or NULL if storage cannot be had (the leaf then faults).
 */
uint8_t *sgx_frame_attach_child(struct sgx_cpu *cpu, uint64_t index, uint64_t secs_index,
				uint64_t linaddr);
uint8_t *sgx_frame_attach_pool(struct sgx_cpu *cpu, uint64_t index);
/* The frame stops holding a page (EREMOVE, EWB, power cycle): punch its storage. */
void sgx_frame_detach(struct sgx_cpu *cpu, uint64_t index);
/*
 * The memfd (or bound file) and offset holding a frame's 4 KiB, for whole-page pread/pwrite that
 * does not map the page in the CPU's view; -1 if the frame has no storage attached.
 */
int sgx_frame_storage(struct sgx_cpu *cpu, uint64_t index, uint64_t *offset);
/*
 * Writes a whole page of contents into an attached frame's storage with pwrite, so that the
 * page-cache page is filled without a page fault on the CPU's mapping (a fault costs several times
 * a 4 KiB write on a virtual machine). Returns 0, or -1 if the storage cannot take it.
 */
int sgx_frame_write(struct sgx_cpu *cpu, uint64_t index, const void *src);
/*
 * Makes an attached frame's page all zeros by punching its storage (EAUG): nothing is allocated
 * until the page is written, and nothing is mapped in the CPU's view. Falls back to memset.
 */
void sgx_frame_clear(struct sgx_cpu *cpu, uint64_t index);
/* The frame's contents changed in place (EDBGWR): copies tagged with the old gen are stale. */
static inline void sgx_frame_touch(struct sgx_cpu *cpu, uint64_t index)
{
	__atomic_add_fetch(&cpu->frames[index].gen, 1, __ATOMIC_RELEASE);
}
/* The frame's 4 KiB in the CPU's view (valid frames only). */
static inline uint8_t *sgx_frame_kva(struct sgx_cpu *cpu, uint64_t index)
{
	return cpu->frames[index].kva;
}
void sgx_bound_maps_destroy(struct sgx_cpu *cpu);

/* --- slices (slice.c) ------------------------------------------------------------------- */

/* A new reference to the slice of enclave eid, created (size bytes, all holes) if it is new. */
struct sgx_slice *sgx_slice_get_or_create(struct sgx_cpu *cpu, uint64_t eid, uint64_t size);
struct sgx_slice *sgx_slice_ref(struct sgx_slice *slice);
uint8_t *sgx_slice_kva(const struct sgx_slice *slice);
void sgx_slice_punch(struct sgx_slice *slice, uint64_t offset);
void sgx_slice_table_destroy(struct sgx_cpu *cpu);
int sgx_slice_table_init(struct sgx_cpu *cpu);

/* --- page table (pgtable.c) ------------------------------------------------------------- */

int sgx_pgtable_init(struct sgx_cpu *cpu);
void sgx_pgtable_destroy(struct sgx_cpu *cpu);
/* Lock-free lookup, safe in a signal handler. */
bool sgx_pgtable_walk(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t *frame, unsigned int *prot);
/* Clear every entry of [start, end), e.g. at power cycle or enclave teardown. */
void sgx_pgtable_clear_range(struct sgx_cpu *cpu, uint64_t start, uint64_t end);

/* --- leaves: shared helpers ------------------------------------------------------------- */

/* Record a fault on an LP and return the ENCLS return value for it. */
int sgx_encls_gp(struct sgx_lp *lp);
int sgx_encls_pf(struct sgx_lp *lp, uint64_t addr, uint32_t error_code);
/* #PF(addr) for an EPC operand whose EPCM state is wrong: error code P | SGX (| W). */
int sgx_encls_epcm_pf(struct sgx_lp *lp, sgx_paddr_t addr, bool write);
/* Copy a non-EPC operand; on failure records #PF(addr) and returns the ENCLS fault value. */
int sgx_encls_read(struct sgx_lp *lp, void *dst, uint64_t src, size_t n);
int sgx_encls_write(struct sgx_lp *lp, uint64_t dst, const void *src, size_t n);
/* Several operands at once: 0, or -1 if any of them faults (the caller then redoes them one by
 * one with sgx_encls_read/write, in the SDM's order, to report the right #PF). */
int sgx_encls_read_vec(struct sgx_lp *lp, const struct sgx_uiov *iov, unsigned int nr);
int sgx_encls_write_vec(struct sgx_lp *lp, const struct sgx_uiov *iov, unsigned int nr);
/* Status-code return: sets ZF (error) or CF (informational) in lp->rflags. */
int sgx_encls_status(struct sgx_lp *lp, int code, bool carry);
/*
 * EPC(addr) of ref §3: 0 with *index set if addr is in an EPC section, else records #PF(addr)
 * (P | SGX: the EPCM lookup is what fails) and returns the fault value.
 */
int sgx_encls_epc(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *index);
/*
 * SECINFO's reserved fields for an ENCLS leaf: bytes 8..63, FLAGS bits 7:6 and 63:16, and the
 * SGX2 state bits (PENDING, MODIFIED, PR), which only EACCEPT/EACCEPTCOPY take as input.
 */
bool sgx_secinfo_reserved_set(const struct sgx_secinfo *secinfo);
/* The owning SECS of a valid child page, as a frame index (children keep their SECS resident). */
static inline uint64_t sgx_child_secs_index(struct sgx_cpu *cpu, const struct sgx_epcm_entry *e)
{
	return (uint64_t)sgx_frame_index(cpu, e->secs);
}

/* ENCLS leaf implementations (sgx_encls dispatches on EAX). */
int sgx_ecreate(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t secs);
int sgx_eadd(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page);
int sgx_eextend(struct sgx_lp *lp, sgx_paddr_t secs, sgx_paddr_t chunk);
int sgx_einit(struct sgx_lp *lp, uint64_t sigstruct, sgx_paddr_t secs, uint64_t token);
int sgx_eremove(struct sgx_lp *lp, sgx_paddr_t page);
int sgx_edbgrd(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *data);
int sgx_edbgwr(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t data);
int sgx_epa(struct sgx_lp *lp, uint64_t type, sgx_paddr_t page);
int sgx_eblock(struct sgx_lp *lp, sgx_paddr_t page);
int sgx_etrack(struct sgx_lp *lp, sgx_paddr_t secs);
int sgx_ewb(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page, sgx_paddr_t va_slot);
int sgx_eldx(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page, sgx_paddr_t va_slot,
	     bool blocked);
int sgx_eaug(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page);
int sgx_emodpr(struct sgx_lp *lp, uint64_t secinfo, sgx_paddr_t page);
int sgx_emodt(struct sgx_lp *lp, uint64_t secinfo, sgx_paddr_t page);

void sgx_cpu_pause(struct sgx_cpu *cpu, unsigned int leaf_class, unsigned int leaf,
		   sgx_paddr_t frame);

/* --- paging crypto (paging_crypto.c, ref §7.1) ------------------------------------------ */

/*
 * The 128-byte MAC header EWB authenticates along with the page (the AAD of AES-GCM) and ELDU
 * rebuilds from its operands. The SDM fills a zeroed header with these fields without fixing
 * their bytes; only this CPU ever decrypts, so this layout is ours:
 *   @0   EID         the owning SECS's EID for child pages; 0 for SECS and VA pages
 *   @8   LINADDR     EPCM.ENCLAVEADDRESS at EWB, PAGEINFO.LINADDR at ELDU
 *   @16  SECINFO     the 64 bytes of PCMD.SECINFO (FLAGS and its reserved bytes)
 *   @80  RESERVED    the 40 reserved bytes of the PCMD
 *   @120 zero
 * The page's VERSION is not in the header: it is the IV (below), which binds it just as well.
 */
struct sgx_paging_header {
	uint64_t eid;
	uint64_t linaddr;
	uint8_t secinfo[64];
	uint8_t pcmd_reserved[40];
	uint8_t zero[8];
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_paging_header) == 128, "the MAC header is 128 bytes");

/* Fills a header from the PCMD's SECINFO and reserved bytes, the linear address and the EID. */
void sgx_paging_header_init(struct sgx_paging_header *hdr, uint64_t eid, uint64_t linaddr,
			    const struct sgx_pcmd *pcmd);

/*
 * The next VERSION for EWB: strictly increasing over the life of the processor, never 0 (0 is an
 * empty VA slot), so an IV is never used twice under one paging key.
 */
uint64_t sgx_paging_next_version(struct sgx_cpu *cpu);

/*
 * AES-128-GCM of one page under the current paging key on this LP: the 96-bit IV is VERSION << 32
 * (VERSION big-endian in bytes 0..7, bytes 8..11 zero), the AAD is the header. Encrypt writes
 * 4096 bytes of ciphertext and the 16-byte MAC and returns 0. Decrypt writes the plaintext and
 * returns 0 if the MAC matches, SGX_MAC_COMPARE_FAIL if not (dst then holds bytes the caller must
 * not commit). src and dst may be the same buffer. Both return -1 only if OpenSSL cannot give the
 * LP its contexts (out of memory), which the leaf reports as a fault.
 */
int sgx_paging_encrypt(struct sgx_lp *lp, uint64_t version, const struct sgx_paging_header *hdr,
		       const uint8_t *src, uint8_t *dst, uint8_t mac[16]);
int sgx_paging_decrypt(struct sgx_lp *lp, uint64_t version, const struct sgx_paging_header *hdr,
		       const uint8_t *src, uint8_t *dst, const uint8_t mac[16]);

/* --- epoch tracking (track.c, ref §7.4) ------------------------------------------------- */

/*
 * An LP enters (EENTER/ERESUME) or leaves (EEXIT/AEX) the enclave: entry epoch and counts
 * (including lps_inside, so callers must not count LPs themselves). Signal-safe: a spinlock over
 * a few instructions, no allocation.
 */
void sgx_track_enter(struct sgx_secs_hidden *h, struct sgx_tlp *tlp);
void sgx_track_exit(struct sgx_secs_hidden *h, const struct sgx_tlp *tlp);
/* ETRACK's cycle: SGX_PREV_TRK_INCMPL or 0. */
int sgx_track_start(struct sgx_secs_hidden *h);
/* EBLOCK/EMODPR/EMODT stamp BEPOCH; EWB and EACCEPT ask whether tracking completed. */
uint64_t sgx_track_epoch(struct sgx_secs_hidden *h);
bool sgx_track_done(struct sgx_secs_hidden *h, uint64_t bepoch);

/* --- keys (keys.c, ref §6) -------------------------------------------------------------- */

/* One fixed KEYDEPENDENCIES layout for every key, so EREPORT/EGETKEY and EINIT/LE agree. */
struct sgx_keydep {
	uint16_t keyname;
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint16_t keypolicy;
	uint16_t configsvn;
	uint8_t reserved[6];
	uint8_t owner_epoch[16];
	struct sgx_attributes attributes;
	struct sgx_attributes attribute_mask;
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint8_t keyid[32];
	uint8_t seal_key_fuses[16];
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint32_t miscmask;
	uint8_t config_id[64];
	uint8_t isvfamilyid[16];
	uint8_t isvextprodid[16];
	uint8_t padding[352];
} __attribute__((packed));

/* key = AES-128-CMAC(root key, KEYDEPENDENCIES) */
void sgx_derive_key(const struct sgx_cpu *cpu, const struct sgx_keydep *dep, uint8_t key[16]);
/*
 * Fetches OpenSSL's CMAC once for the process. sgx_cmac does it on first use anyway; calling this
 * early (sgx_tlp_init does) keeps the provider lookup out of the signal path of EREPORT/EGETKEY.
 */
void sgx_keys_init(void);
/* AES-128-CMAC with OpenSSL; used by key derivation, EREPORT and EINITTOKEN MACs. */
void sgx_cmac(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16]);

#endif /* SGXEMU_CPU_INTERNAL_H */
