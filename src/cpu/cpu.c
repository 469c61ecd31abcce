/* SPDX-License-Identifier: MIT */
/*
 * The processor: power-on (EPC sections, EPCM, storage, CREGs), CPUID leaves 7 and 0x12, the XSAVE
 * geometry the leaves need, statistics and the test hooks.
 *
 * EPC sections. Section i starts at the "physical address" (i + 1) << 36: every section of a
 * configuration (at most 64 GiB in total) fits below the next one, the addresses are distinct from
 * anything a pointer could be confused with in a test, and they fit the 52 physical-address bits
 * CPUID.(12H, 2+i) can report. Frames are numbered across sections in order, so the EPCM and the
 * frame array are single arrays.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

/*
 * The CREGs that firmware and fuses would set. They are emulator constants: nothing depends on their
 * secrecy, because every key is derived from the root key as well (ref §6).
 */
static const uint8_t sgx_emu_cpusvn[16] = { 0x0f, 0x0f, 0x02, 0x04, 0x01, 0x80, 0x0e, 0x00,
					    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t sgx_emu_owner_epoch[16] = "sgxemu-owner-ep0";
static const uint8_t sgx_emu_seal_fuses[16] = "sgxemu-seal-fuse";

static void *map_anonymous(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
}

static uint64_t host_xcr0(void)
{
	uint32_t regs[4], lo, hi;

	host_cpuid(1, 0, regs);
	if (!(regs[2] & (1U << 27))) /* OSXSAVE */
		return 0x3;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * XFRM may hold what the host supports and has enabled in XCR0 (an enclave's XCR0 must be a
 * subset of it at EENTER anyway), and the standard-format offsets and sizes of the components.
 */
static void probe_xsave(struct sgx_cpu *cpu)
{
	uint32_t regs[4], max_leaf;
	uint64_t supported = 0x3;

	host_cpuid(0, 0, regs);
	max_leaf = regs[0];
	if (max_leaf >= 0xD) {
		host_cpuid(0xD, 0, regs);
		supported = ((uint64_t)regs[3] << 32) | regs[0];
	}
	cpu->xfrm_mask = (host_xcr0() & supported) | 0x3;
	for (unsigned int i = 2; i < 64; i++) {
		if (!(cpu->xfrm_mask & (1ULL << i)))
			continue;
		host_cpuid(0xD, i, regs);
		cpu->xsave_size[i] = regs[0];
		cpu->xsave_offset[i] = regs[1];
		if (!regs[0] || regs[1] < 576) /* not a user component with a standard offset */
			cpu->xfrm_mask &= ~(1ULL << i);
	}
}

uint32_t sgx_xsave_size(const struct sgx_cpu *cpu, uint64_t xfrm)
{
	uint32_t size = 512 + 64; /* legacy area and XSAVE header */

	for (unsigned int i = 2; i < 64; i++) {
		uint32_t end;

		if (!(xfrm & (1ULL << i)))
			continue;
		end = cpu->xsave_offset[i] + cpu->xsave_size[i];
		if (end > size)
			size = end;
	}
	return size;
}

bool sgx_xfrm_legal(const struct sgx_cpu *cpu, uint64_t xfrm)
{
	const uint64_t avx = 1ULL << 2, mpx = 3ULL << 3, avx512 = 7ULL << 5, amx = 3ULL << 17;

	if ((xfrm & 0x3) != 0x3 || (xfrm & ~cpu->xfrm_mask))
		return false;
	if ((xfrm & mpx) && (xfrm & mpx) != mpx)
		return false;
	if ((xfrm & avx512) && ((xfrm & avx512) != avx512 || !(xfrm & avx)))
		return false;
	if ((xfrm & amx) && (xfrm & amx) != amx)
		return false;
	return true;
}

static int init_sections(struct sgx_cpu *cpu)
{
	uint64_t frames = 0;

	cpu->nr_sections = cpu->config.nr_epc_sections;
	for (unsigned int i = 0; i < cpu->nr_sections; i++) {
		struct sgx_section *s = &cpu->sections[i];

		s->base = SGX_EPC_SECTION_BASE(i);
		s->size = cpu->config.epc_section_size[i] & ~(SGX_PAGE_SIZE - 1);
		if (!s->size || s->size > (1ULL << 36)) {
			errno = EINVAL;
			return -1;
		}
		s->first_frame = frames;
		s->nr_frames = s->size >> SGX_PAGE_SHIFT;
		frames += s->nr_frames;
	}
	cpu->nr_frames = frames;
	return 0;
}

static int init_storage(struct sgx_cpu *cpu)
{
	uint64_t pool_size = cpu->nr_frames << SGX_PAGE_SHIFT;
	void *p;

	cpu->epcm = map_anonymous(cpu->nr_frames * sizeof(*cpu->epcm));
	cpu->frames = map_anonymous(cpu->nr_frames * sizeof(*cpu->frames));
	if (!cpu->epcm || !cpu->frames)
		return -1;

	cpu->pool_fd = memfd_create("sgxemu-epc-pool", MFD_CLOEXEC);
	if (cpu->pool_fd < 0)
		return -1;
	if (ftruncate(cpu->pool_fd, (off_t)pool_size))
		return -1;
	p = mmap(NULL, pool_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, cpu->pool_fd,
		 0);
	if (p == MAP_FAILED)
		return -1;
	/* SECS and VA pages: a forked child must never write them through a copy of this view. */
	madvise(p, pool_size, MADV_DONTFORK);
	cpu->pool_kva = p;
	return 0;
}

struct sgx_cpu *sgx_cpu_create(const struct sgxemu_config *config)
{
	struct sgx_cpu *cpu;
	char err[200];
	int saved;

	if (sgxemu_config_validate(config, err, sizeof(err))) {
		pr_err("invalid configuration: %s\n", err);
		errno = EINVAL;
		return NULL;
	}
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return NULL;
	cpu->config = *config;
	cpu->pool_fd = -1;
	pthread_mutex_init(&cpu->lp_wait_lock, NULL);
	pthread_cond_init(&cpu->lp_wait_cond, NULL);
	pthread_mutex_init(&cpu->bind_lock, NULL);

	if (init_sections(cpu) || init_storage(cpu))
		goto fail;
	if (sgx_slice_table_init(cpu) || sgx_pgtable_init(cpu) || sgx_lps_init(cpu))
		goto fail;
	probe_xsave(cpu);

	memcpy(cpu->cpusvn, sgx_emu_cpusvn, sizeof(cpu->cpusvn));
	memcpy(cpu->owner_epoch, sgx_emu_owner_epoch, sizeof(cpu->owner_epoch));
	memcpy(cpu->seal_fuses, sgx_emu_seal_fuses, sizeof(cpu->seal_fuses));
	if (config->fixed_root_key)
		memcpy(cpu->root_key, config->root_key, sizeof(cpu->root_key));
	else if (fill_random(cpu->root_key, sizeof(cpu->root_key)))
		goto fail;
	if (fill_random(cpu->report_keyid, sizeof(cpu->report_keyid)) ||
	    fill_random(cpu->paging_key, sizeof(cpu->paging_key)))
		goto fail;
	cpu->next_eid = 1;
	return cpu;

fail:
	saved = errno ? errno : ENOMEM;
	sgx_cpu_destroy(cpu);
	errno = saved;
	return NULL;
}

void sgx_cpu_destroy(struct sgx_cpu *cpu)
{
	if (!cpu)
		return;
	sgx_lps_destroy(cpu);
	sgx_pgtable_destroy(cpu);
	sgx_slice_table_destroy(cpu);
	sgx_bound_maps_destroy(cpu);
	if (cpu->pool_kva)
		munmap(cpu->pool_kva, cpu->nr_frames << SGX_PAGE_SHIFT);
	if (cpu->pool_fd >= 0)
		close(cpu->pool_fd);
	if (cpu->epcm)
		munmap(cpu->epcm, cpu->nr_frames * sizeof(*cpu->epcm));
	if (cpu->frames)
		munmap(cpu->frames, cpu->nr_frames * sizeof(*cpu->frames));
	pthread_mutex_destroy(&cpu->bind_lock);
	pthread_cond_destroy(&cpu->lp_wait_cond);
	pthread_mutex_destroy(&cpu->lp_wait_lock);
	explicit_bzero(cpu->root_key, sizeof(cpu->root_key));
	explicit_bzero(cpu->paging_key, sizeof(cpu->paging_key));
	free(cpu);
}

const struct sgxemu_config *sgx_cpu_config(const struct sgx_cpu *cpu)
{
	return &cpu->config;
}

unsigned int sgx_cpu_nr_sections(const struct sgx_cpu *cpu)
{
	return cpu->nr_sections;
}

void sgx_cpu_section(const struct sgx_cpu *cpu, unsigned int i, sgx_paddr_t *base, uint64_t *size)
{
	if (i >= cpu->nr_sections) {
		*base = 0;
		*size = 0;
		return;
	}
	*base = cpu->sections[i].base;
	*size = cpu->sections[i].size;
}

bool sgx_cpu_is_epc(const struct sgx_cpu *cpu, sgx_paddr_t addr)
{
	return sgx_frame_index(cpu, addr) >= 0;
}

/* --- CPUID -------------------------------------------------------------------------------- */

#define CPUID_7_EBX_SGX (1U << 2)
#define CPUID_7_ECX_SGX_LC (1U << 30)
#define CPUID_7_EDX_SGX_KEYS (1U << 1)
#define CPUID_12_EAX_SGX1 (1U << 0)
#define CPUID_12_EAX_SGX2 (1U << 1)

static void cpuid_sgx(const struct sgx_cpu *cpu, uint32_t subleaf, uint32_t regs[4])
{
	memset(regs, 0, 4 * sizeof(regs[0]));
	if (subleaf == 0) {
		/*
		 * Only what is implemented: no ENCLV (bit 5), no ETRACKC/ERDINFO/ELDBC/ELDUC (bit 6),
		 * no EVERIFYREPORT2, EUPDATESVN or EDECCSSA (AEX-Notify is off).
		 */
		regs[0] = CPUID_12_EAX_SGX1 | (cpu->config.sgx2 ? CPUID_12_EAX_SGX2 : 0);
		regs[1] = SGX_MISC_SUPPORTED_MASK;
		regs[3] = SGX_MAX_ENCLAVE_SIZE_32_LOG2 | (SGX_MAX_ENCLAVE_SIZE_64_LOG2 << 8);
	} else if (subleaf == 1) {
		regs[0] = (uint32_t)SGX_ATTR_SUPPORTED_MASK;
		regs[1] = (uint32_t)(SGX_ATTR_SUPPORTED_MASK >> 32);
		regs[2] = (uint32_t)cpu->xfrm_mask;
		regs[3] = (uint32_t)(cpu->xfrm_mask >> 32);
	} else if (subleaf - 2 < cpu->nr_sections) {
		const struct sgx_section *s = &cpu->sections[subleaf - 2];

		/* Type 1 (EPC section); ECX[3:0] = 1: confidentiality and integrity protected. */
		regs[0] = (uint32_t)(s->base & 0xFFFFF000U) | 0x1;
		regs[1] = (uint32_t)(s->base >> 32) & 0xFFFFF;
		regs[2] = (uint32_t)(s->size & 0xFFFFF000U) | 0x1;
		regs[3] = (uint32_t)(s->size >> 32) & 0xFFFFF;
	}
}

bool sgx_cpu_cpuid(const struct sgx_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	switch (leaf) {
	case 0:
		/* Leaf 0x12 exists, so the maximum basic leaf is at least 0x12. */
		host_cpuid(0, 0, regs);
		if (regs[0] < 0x12)
			regs[0] = 0x12;
		return true;
	case 7:
		host_cpuid(7, subleaf, regs);
		if (subleaf == 0) {
			regs[1] |= CPUID_7_EBX_SGX;
			if (cpu->config.flc)
				regs[2] |= CPUID_7_ECX_SGX_LC;
			else
				regs[2] &= ~CPUID_7_ECX_SGX_LC;
			/* No attestation services (the SGX-KEYS bit). */
			regs[3] &= ~CPUID_7_EDX_SGX_KEYS;
		}
		return true;
	case 0x12:
		cpuid_sgx(cpu, subleaf, regs);
		return true;
	default:
		host_cpuid(leaf, subleaf, regs);
		return false;
	}
}

/* --- statistics and hooks ------------------------------------------------------------------ */

void sgx_cpu_get_stats(const struct sgx_cpu *cpu, struct sgx_cpu_stats *stats)
{
	const struct sgx_cpu_stats *s = &cpu->stats;

	for (unsigned int i = 0; i < SGX_ENCLS_NR_LEAVES; i++)
		stats->encls[i] = __atomic_load_n(&s->encls[i], __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < SGX_ENCLU_NR_LEAVES; i++)
		stats->enclu[i] = __atomic_load_n(&s->enclu[i], __ATOMIC_RELAXED);
	stats->aex = __atomic_load_n(&s->aex, __ATOMIC_RELAXED);
	stats->xstate_outside_xfrm = __atomic_load_n(&s->xstate_outside_xfrm, __ATOMIC_RELAXED);
	stats->msr_writes = __atomic_load_n(&s->msr_writes, __ATOMIC_RELAXED);
	stats->power_cycles = __atomic_load_n(&cpu->power_cycles, __ATOMIC_RELAXED);
}

void sgx_cpu_inject_unmasked_event(struct sgx_cpu *cpu, unsigned int n)
{
	__atomic_add_fetch(&cpu->unmasked_events, n, __ATOMIC_RELAXED);
}

void sgx_cpu_set_pause_hook(struct sgx_cpu *cpu, sgx_cpu_pause_hook_t hook, void *arg)
{
	__atomic_store_n(&cpu->pause_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&cpu->pause_hook, hook, __ATOMIC_RELEASE);
}

void sgx_cpu_pause(struct sgx_cpu *cpu, unsigned int leaf_class, unsigned int leaf,
		   sgx_paddr_t frame)
{
	sgx_cpu_pause_hook_t hook = __atomic_load_n(&cpu->pause_hook, __ATOMIC_ACQUIRE);

	if (hook)
		hook(__atomic_load_n(&cpu->pause_arg, __ATOMIC_RELAXED), leaf_class, leaf, frame);
}
