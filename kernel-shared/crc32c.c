// SPDX-License-Identifier: GPL-2.0-only
/*
 * crc32c (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * Two implementations: the SSE4.2 crc32 instruction, and a portable
 * slice-by-8 table walk.  The choice is made once, on first use, from the
 * CPU features; BTRFS_DAX_CRC32C=generic in the environment forces the
 * portable one so the test suite can run both.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/csum.h"
#include "kernel-shared/crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_CRC32C_SSE42 1
#endif

#define CRC32C_POLY_REFLECTED	0x82F63B78U

/*
 * crc32c_table[k][b] is the crc contribution of byte b followed by k zero
 * bytes, so eight table lookups advance the crc by eight bytes at once.
 */
static u32 crc32c_table[8][256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_table_build(void)
{
	for (u32 b = 0; b < 256; b++) {
		u32 crc = b;

		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc32c_table[0][b] = crc;
	}
	for (int k = 1; k < 8; k++) {
		for (u32 b = 0; b < 256; b++) {
			u32 prev = crc32c_table[k - 1][b];

			crc32c_table[k][b] = (prev >> 8) ^
					     crc32c_table[0][prev & 0xff];
		}
	}
}

/* Read four bytes as little-endian, whatever the host order and alignment. */
static inline u32 load_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

u32 btrfs_crc32c_generic(u32 crc, const void *data, size_t len)
{
	const u32 (*t)[256] = crc32c_table;
	const u8 *p = data;

	pthread_once(&crc32c_table_once, crc32c_table_build);
	while (len >= 8) {
		u32 lo = crc ^ load_le32(p);
		u32 hi = load_le32(p + 4);

		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
		      t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
		      t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		      t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
	return crc;
}

#ifdef HAVE_CRC32C_SSE42
bool btrfs_crc32c_sse42_supported(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}

/*
 * The crc32 instruction has a latency of three cycles but can start one a
 * cycle, so long buffers are done as three interleaved streams of
 * CRC_STRIDE bytes that are then joined.  The crc is linear: the crc of
 * A then B is the crc of A followed by |B| zero bytes, xor the crc of B
 * from zero.  crc32c_shift[k][b] is the first term for byte k of the crc
 * and |B| = CRC_STRIDE.
 */
#define CRC_STRIDE 1024
static u32 crc32c_shift[4][256];
static pthread_once_t crc32c_shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static u32 crc32c_zeros(u32 crc)
{
	u64 c = crc;
	int i;

	for (i = 0; i < CRC_STRIDE / 8; i++)
		c = _mm_crc32_u64(c, 0);
	return (u32)c;
}

static void crc32c_shift_build(void)
{
	u32 basis[32];
	int k, b, i;

	for (i = 0; i < 32; i++)
		basis[i] = crc32c_zeros(1U << i);
	for (k = 0; k < 4; k++) {
		for (b = 0; b < 256; b++) {
			u32 v = 0;

			for (i = 0; i < 8; i++)
				if (b & (1 << i))
					v ^= basis[8 * k + i];
			crc32c_shift[k][b] = v;
		}
	}
}

static inline u32 crc32c_stride_shift(u32 crc)
{
	return crc32c_shift[0][crc & 0xff] ^ crc32c_shift[1][(crc >> 8) & 0xff] ^
	       crc32c_shift[2][(crc >> 16) & 0xff] ^ crc32c_shift[3][crc >> 24];
}

__attribute__((target("sse4.2")))
static u64 crc32c_three_streams(u64 crc, const u8 *p, size_t rounds)
{
	while (rounds--) {
		u64 a = crc, b = 0, c = 0, w;
		int i;

		for (i = 0; i < CRC_STRIDE; i += 8) {
			memcpy(&w, p + i, sizeof(w));
			a = _mm_crc32_u64(a, w);
			memcpy(&w, p + CRC_STRIDE + i, sizeof(w));
			b = _mm_crc32_u64(b, w);
			memcpy(&w, p + 2 * CRC_STRIDE + i, sizeof(w));
			c = _mm_crc32_u64(c, w);
		}
		crc = crc32c_stride_shift((u32)a) ^ (u32)b;
		crc = crc32c_stride_shift((u32)crc) ^ (u32)c;
		p += 3 * CRC_STRIDE;
	}
	return crc;
}

__attribute__((target("sse4.2")))
u32 btrfs_crc32c_sse42(u32 crc, const void *data, size_t len)
{
	const u8 *p = data;
	u64 crc64;

	/* Byte steps up to an 8-byte boundary keep the wide loads aligned. */
	while (len && ((uintptr_t)p & 7)) {
		crc = _mm_crc32_u8(crc, *p++);
		len--;
	}
	crc64 = crc;
	if (len >= 3 * CRC_STRIDE) {
		size_t rounds = len / (3 * CRC_STRIDE);

		pthread_once(&crc32c_shift_once, crc32c_shift_build);
		crc64 = crc32c_three_streams(crc64, p, rounds);
		p += rounds * 3 * CRC_STRIDE;
		len -= rounds * 3 * CRC_STRIDE;
	}
	while (len >= 8) {
		u64 word;

		/* The instruction consumes the word in little-endian order. */
		memcpy(&word, p, sizeof(word));
		crc64 = _mm_crc32_u64(crc64, word);
		p += 8;
		len -= 8;
	}
	crc = (u32)crc64;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#else
bool btrfs_crc32c_sse42_supported(void)
{
	return false;
}

u32 btrfs_crc32c_sse42(u32 crc, const void *data, size_t len)
{
	return btrfs_crc32c_generic(crc, data, len);
}
#endif

typedef u32 (*crc32c_fn)(u32 crc, const void *data, size_t len);

static crc32c_fn crc32c_impl_fn;
static const char *crc32c_impl_name;
static pthread_once_t crc32c_impl_once = PTHREAD_ONCE_INIT;

static void crc32c_impl_select(void)
{
	const char *force = getenv("BTRFS_DAX_CRC32C");

	crc32c_impl_fn = btrfs_crc32c_generic;
	crc32c_impl_name = "generic";
	if (force && !strcmp(force, "generic"))
		return;
	if (btrfs_crc32c_sse42_supported()) {
		crc32c_impl_fn = btrfs_crc32c_sse42;
		crc32c_impl_name = "sse4.2";
	}
}

u32 btrfs_crc32c(u32 seed, const void *data, size_t len)
{
	pthread_once(&crc32c_impl_once, crc32c_impl_select);
	return crc32c_impl_fn(seed, data, len);
}

const char *btrfs_crc32c_impl(void)
{
	pthread_once(&crc32c_impl_once, crc32c_impl_select);
	return crc32c_impl_name;
}
