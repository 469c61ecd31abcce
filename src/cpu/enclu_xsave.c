/* SPDX-License-Identifier: MIT */
/*
 * Extended state at the enclave boundary (ref §8.3 step 2 and 4, §8.4; DESIGN.md "XSAVE").
 *
 * The runtime hands us the interrupted thread's state as the kernel wrote it into the signal frame:
 * a standard-format (non-compacted) XSAVE image. The SSA's XSAVE area is standard format too, so
 * a component sits at the same offset in both; moving state between them is a copy per
 * component, with XSTATE_BV saying which components are in their init state.
 *
 * On hardware XCR0 = XFRM inside the enclave, so XSAVE/XRSTOR at AEX/ERESUME touch exactly the
 * XFRM components. Userspace cannot change XCR0: components outside XFRM stay the host's (and
 * the enclave can use them). We cannot hide that; enclu_note_outside_xfrm() counts it when such
 * a component is live at an exit and says so once, instead of pretending.
 */
#include <string.h>

#include "common/log.h"
#include "cpu/enclu_internal.h"

/* Legacy region of the standard format (FXSAVE layout). */
#define LEG_FCW 0
#define LEG_FSW 2
#define LEG_MXCSR 24
#define LEG_MXCSR_MASK 28
#define LEG_ST_START 32
#define LEG_XMM_START 160
#define LEG_XMM_END 416
#define LEGACY_SIZE 512
#define HDR_XSTATE_BV 512
#define HDR_XCOMP_BV 520
#define HDR_RESERVED8 528 /* header bytes 16..23: the ones standard-form XRSTOR checks */
#define XSAVE_MIN_SIZE 576

#define XFEATURE_X87 0
#define XFEATURE_SSE 1

#define FCW_INIT 0x037F
#define MXCSR_INIT 0x1F80
/* Synthetic state after an AEX caused by #MF/#XM (SDM "synthetic state on AEX" table). */
#define FCW_AEX_MF 0x037E
#define FSW_AEX_MF 0x8081
#define MXCSR_AEX_XM 0x1F01

/*
 * MXCSR bits that XRSTOR accepts, from this machine's FXSAVE (MXCSR_MASK; 0 there means the
 * architectural default 0xFFBF). Probed once at load, so the signal path only reads it.
 */
static uint32_t mxcsr_mask = 0xFFBF;

__attribute__((constructor)) static void probe_mxcsr_mask(void)
{
	uint8_t area[512] __attribute__((aligned(16)));
	uint32_t mask;

	memset(area, 0, sizeof(area));
	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&mask, area + LEG_MXCSR_MASK, sizeof(mask));
	mxcsr_mask = mask ? mask : 0xFFBF;
}

/* --- SSA area access (a frame's XSAVE area may span pages; each page has its own kva) ------- */

static void ssa_write(const struct enclu_ssa *ssa, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *p = src;

	while (len) {
		uint32_t in_page = SGX_PAGE_SIZE - (off & (SGX_PAGE_SIZE - 1));
		uint32_t n = len < in_page ? len : in_page;

		memcpy(ssa->xsave[off >> SGX_PAGE_SHIFT] + (off & (SGX_PAGE_SIZE - 1)), p, n);
		off += n;
		p += n;
		len -= n;
	}
}

static void ssa_zero(const struct enclu_ssa *ssa, uint32_t off, uint32_t len)
{
	while (len) {
		uint32_t in_page = SGX_PAGE_SIZE - (off & (SGX_PAGE_SIZE - 1));
		uint32_t n = len < in_page ? len : in_page;

		memset(ssa->xsave[off >> SGX_PAGE_SHIFT] + (off & (SGX_PAGE_SIZE - 1)), 0, n);
		off += n;
		len -= n;
	}
}

static void ssa_read(const struct enclu_ssa *ssa, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *p = dst;

	while (len) {
		uint32_t in_page = SGX_PAGE_SIZE - (off & (SGX_PAGE_SIZE - 1));
		uint32_t n = len < in_page ? len : in_page;

		memcpy(p, ssa->xsave[off >> SGX_PAGE_SHIFT] + (off & (SGX_PAGE_SIZE - 1)), n);
		off += n;
		p += n;
		len -= n;
	}
}

static uint64_t ssa_read_u64(const struct enclu_ssa *ssa, uint32_t off)
{
	uint64_t v;

	ssa_read(ssa, off, &v, sizeof(v));
	return v;
}

/* --- the image ----------------------------------------------------------------------------- */

static bool image_has_header(const struct sgx_xstate *xs)
{
	return xs->size >= XSAVE_MIN_SIZE;
}

/* XSTATE_BV of the image; a legacy-only (FXSAVE) image always holds x87 and SSE state. */
static uint64_t image_xstate_bv(const struct sgx_xstate *xs)
{
	uint64_t bv;

	if (!image_has_header(xs))
		return (1ULL << XFEATURE_X87) | (1ULL << XFEATURE_SSE);
	memcpy(&bv, xs->area + HDR_XSTATE_BV, sizeof(bv));
	return bv;
}

static void image_set_xstate_bv(struct sgx_xstate *xs, uint64_t bv)
{
	if (image_has_header(xs))
		memcpy(xs->area + HDR_XSTATE_BV, &bv, sizeof(bv));
}

/*
 * A component's place in the standard format, or false if it has none the image can hold. The
 * x87 state is split around MXCSR in the legacy region; MXCSR itself belongs to SSE and AVX and
 * is handled on its own, as XSAVE/XRSTOR do.
 */
struct xrange {
	uint32_t off, len;
};

static unsigned int component_ranges(const struct sgx_cpu *cpu, unsigned int i, struct xrange r[2])
{
	switch (i) {
	case XFEATURE_X87:
		r[0] = (struct xrange){ 0, LEG_MXCSR };
		r[1] = (struct xrange){ LEG_ST_START, LEG_XMM_START - LEG_ST_START };
		return 2;
	case XFEATURE_SSE:
		r[0] = (struct xrange){ LEG_XMM_START, LEG_XMM_END - LEG_XMM_START };
		return 1;
	default:
		if (!cpu->xsave_size[i])
			return 0;
		r[0] = (struct xrange){ cpu->xsave_offset[i], cpu->xsave_size[i] };
		return 1;
	}
}

static bool range_in_image(const struct sgx_xstate *xs, struct xrange r)
{
	return (uint64_t)r.off + r.len <= xs->size;
}

/* --- AEX ----------------------------------------------------------------------------------- */

void enclu_xsave_to_ssa(struct sgx_cpu *cpu, const struct sgx_xstate *xs, uint64_t xfrm,
			const struct enclu_ssa *ssa)
{
	uint64_t bv = image_xstate_bv(xs) & xfrm, zero = 0;

	for (unsigned int i = 0; i < 64; i++) {
		struct xrange r[2];
		unsigned int n;

		if (!(xfrm & (1ULL << i)))
			continue;
		n = component_ranges(cpu, i, r);
		if (!n) {
			bv &= ~(1ULL << i);
			continue;
		}
		for (unsigned int j = 0; j < n; j++) {
			if (r[j].off + r[j].len > ssa->xsave_size)
				continue;
			if ((bv & (1ULL << i)) && range_in_image(xs, r[j]))
				ssa_write(ssa, r[j].off, xs->area + r[j].off, r[j].len);
			else
				ssa_zero(ssa, r[j].off, r[j].len);
		}
		if (!(bv & (1ULL << i)) || !range_in_image(xs, r[0]))
			bv &= ~(1ULL << i);
	}
	/* An init x87 component is written as its init values, as XSAVE may do. */
	if (!(bv & (1ULL << XFEATURE_X87))) {
		uint16_t fcw = FCW_INIT;

		ssa_write(ssa, LEG_FCW, &fcw, sizeof(fcw));
	}
	/* MXCSR (and the read-only MXCSR_MASK) are saved whenever SSE or AVX is requested. */
	ssa_write(ssa, LEG_MXCSR, xs->area + LEG_MXCSR, 8);
	/* Header: XSTATE_BV masked to XFRM, bytes 8..23 zero (ref §8.3 step 2). */
	ssa_write(ssa, HDR_XSTATE_BV, &bv, sizeof(bv));
	ssa_write(ssa, HDR_XCOMP_BV, &zero, sizeof(zero));
	ssa_write(ssa, HDR_RESERVED8, &zero, sizeof(zero));
}

void enclu_xstate_synthetic(struct sgx_cpu *cpu, struct sgx_xstate *xs, uint64_t xfrm,
			    uint8_t vector)
{
	uint64_t bv = image_xstate_bv(xs) & ~xfrm;
	uint16_t fcw = vector == X86_TRAP_MF ? FCW_AEX_MF : FCW_INIT;
	uint16_t fsw = vector == X86_TRAP_MF ? FSW_AEX_MF : 0;
	uint32_t mxcsr = vector == X86_TRAP_XM ? MXCSR_AEX_XM : MXCSR_INIT;

	for (unsigned int i = 0; i < 64; i++) {
		struct xrange r[2];
		unsigned int n;

		if (!(xfrm & (1ULL << i)))
			continue;
		n = component_ranges(cpu, i, r);
		for (unsigned int j = 0; j < n; j++)
			if (range_in_image(xs, r[j]))
				memset(xs->area + r[j].off, 0, r[j].len);
	}
	memcpy(xs->area + LEG_FCW, &fcw, sizeof(fcw));
	memcpy(xs->area + LEG_FSW, &fsw, sizeof(fsw));
	memcpy(xs->area + LEG_MXCSR, &mxcsr, sizeof(mxcsr));
	/* A pending x87 exception is live x87 state: XRSTOR must load it, not the init values. */
	if (vector == X86_TRAP_MF)
		bv |= 1ULL << XFEATURE_X87;
	image_set_xstate_bv(xs, bv);
}

/* --- ERESUME ------------------------------------------------------------------------------- */

/*
 * What the standard form of XRSTOR (XCR0 = XFRM) checks before loading anything: XSTATE_BV has no
 * bit outside XFRM; header bytes 8..23 are zero (which makes XCOMP_BV zero, i.e. not compacted);
 * MXCSR sets no bit outside MXCSR_MASK (SSE is always requested, so MXCSR is always loaded).
 * Header bytes 24..63 are not checked by the standard form, so they are not checked here either.
 */
bool enclu_ssa_xsave_valid(const struct enclu_ssa *ssa, uint64_t xfrm)
{
	uint32_t mxcsr;

	if (ssa_read_u64(ssa, HDR_XSTATE_BV) & ~xfrm)
		return false;
	if (ssa_read_u64(ssa, HDR_XCOMP_BV) || ssa_read_u64(ssa, HDR_RESERVED8))
		return false;
	ssa_read(ssa, LEG_MXCSR, &mxcsr, sizeof(mxcsr));
	return !(mxcsr & ~mxcsr_mask);
}

void enclu_ssa_to_xstate(struct sgx_cpu *cpu, const struct enclu_ssa *ssa, uint64_t xfrm,
			 struct sgx_xstate *xs)
{
	uint64_t ssa_bv = ssa_read_u64(ssa, HDR_XSTATE_BV) & xfrm;

	for (unsigned int i = 0; i < 64; i++) {
		struct xrange r[2];
		unsigned int n;

		if (!(xfrm & (1ULL << i)))
			continue;
		n = component_ranges(cpu, i, r);
		for (unsigned int j = 0; j < n; j++) {
			if (!range_in_image(xs, r[j]))
				continue;
			if ((ssa_bv & (1ULL << i)) && r[j].off + r[j].len <= ssa->xsave_size)
				ssa_read(ssa, r[j].off, xs->area + r[j].off, r[j].len);
			else
				memset(xs->area + r[j].off, 0, r[j].len);
		}
		if (i == XFEATURE_X87 && !(ssa_bv & 1)) {
			uint16_t fcw = FCW_INIT;

			memcpy(xs->area + LEG_FCW, &fcw, sizeof(fcw));
		}
	}
	ssa_read(ssa, LEG_MXCSR, xs->area + LEG_MXCSR, 4);
	image_set_xstate_bv(xs, (image_xstate_bv(xs) & ~xfrm) | ssa_bv);
}

/* --- what cannot be hidden ----------------------------------------------------------------- */

uint64_t enclu_xstate_outside_xfrm(const struct sgx_xstate *xs, uint64_t xfrm)
{
	return image_xstate_bv(xs) & xs->xcr0 & ~xfrm;
}

void enclu_note_outside_xfrm(struct sgx_cpu *cpu, const struct sgx_xstate *xs, uint64_t xfrm)
{
	uint64_t live = enclu_xstate_outside_xfrm(xs, xfrm);

	if (!live)
		return;
	sgx_stat_inc(&cpu->stats.xstate_outside_xfrm);
	pr_warn_once_atomic("enclave exit with live XSAVE state 0x%llx outside XFRM 0x%llx: XCR0 "
			    "cannot be XFRM in userspace, so it crossed the boundary (counted)",
			    (unsigned long long)live, (unsigned long long)xfrm);
}
