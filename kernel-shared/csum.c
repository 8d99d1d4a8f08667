// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checksum dispatch: crc32c (our own code), xxhash64 (libxxhash), and
 * SHA-256 and BLAKE2b-256 (libgcrypt, chosen over libsodium by measurement;
 * see Documentation/ch-checksums.rst).
 *
 * The bytes produced are exactly what btrfs stores: the little-endian u32 of
 * ~crc32c(~0, data), the little-endian u64 of XXH64(data, seed 0), and the
 * plain 32-byte digests, zero-padded to BTRFS_CSUM_SIZE.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <gcrypt.h>
#include <xxhash.h>
#include "kernel-shared/csum.h"
#include "kernel-shared/crc32c.h"

static const struct {
	u16 size;
	const char *name;
} csum_types[] = {
	[BTRFS_CSUM_TYPE_CRC32]  = { 4,  "crc32c" },
	[BTRFS_CSUM_TYPE_XXHASH] = { 8,  "xxhash64" },
	[BTRFS_CSUM_TYPE_SHA256] = { 32, "sha256" },
	[BTRFS_CSUM_TYPE_BLAKE2] = { 32, "blake2b" },
};

#define CSUM_TYPE_COUNT (sizeof(csum_types) / sizeof(csum_types[0]))

bool btrfs_csum_type_valid(u16 csum_type)
{
	return csum_type < CSUM_TYPE_COUNT && csum_types[csum_type].name;
}

u16 btrfs_csum_type_size(u16 csum_type)
{
	return btrfs_csum_type_valid(csum_type) ? csum_types[csum_type].size : 0;
}

const char *btrfs_csum_type_name(u16 csum_type)
{
	return btrfs_csum_type_valid(csum_type) ? csum_types[csum_type].name : NULL;
}

static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;
static bool gcrypt_ready;

/*
 * gcry_check_version() must come before any other call.  Secure memory is
 * for keys; we hash public data, so turn it off rather than have libgcrypt
 * warn about it.  A program that set libgcrypt up itself keeps its settings.
 */
static void gcrypt_init(void)
{
	if (!gcry_check_version(NULL))
		return;
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	gcrypt_ready = true;
}

static int csum_gcrypt(int algo, const void *data, size_t len, u8 *out)
{
	gcry_buffer_t iov = { .data = (void *)data, .len = len };

	pthread_once(&gcrypt_once, gcrypt_init);
	if (!gcrypt_ready)
		return -EIO;
	/* The _buffers variant reports failure (say, FIPS mode) instead of aborting. */
	if (gcry_md_hash_buffers(algo, 0, out, &iov, 1))
		return -EIO;
	return 0;
}

int btrfs_csum_data(u16 csum_type, const void *data, size_t len,
		    u8 out[BTRFS_CSUM_SIZE])
{
	__le32 crc;
	__le64 xxh;

	memset(out, 0, BTRFS_CSUM_SIZE);
	switch (csum_type) {
	case BTRFS_CSUM_TYPE_CRC32:
		crc = cpu_to_le32(~btrfs_crc32c(~0U, data, len));
		memcpy(out, &crc, sizeof(crc));
		return 0;
	case BTRFS_CSUM_TYPE_XXHASH:
		xxh = cpu_to_le64(XXH64(data, len, 0));
		memcpy(out, &xxh, sizeof(xxh));
		return 0;
	case BTRFS_CSUM_TYPE_SHA256:
		return csum_gcrypt(GCRY_MD_SHA256, data, len, out);
	case BTRFS_CSUM_TYPE_BLAKE2:
		return csum_gcrypt(GCRY_MD_BLAKE2B_256, data, len, out);
	default:
		return -EINVAL;
	}
}

/* Known answers.  Integers are the published values, before byte order. */

static const u8 kat_zeros[32];
static const u8 kat_ones[32] = { [0 ... 31] = 0xff };
static const u8 kat_ascending[32] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};
static const u8 kat_descending[32] = {
	31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
	15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0,
};

/* The CRC-32C check value, then RFC 3720 appendix B.4. */
static const struct {
	const void *data;
	size_t len;
	u32 crc;
} crc32c_kats[] = {
	{ "", 0, 0x00000000 },
	{ "123456789", 9, 0xE3069283 },
	{ kat_zeros, 32, 0x8A9136AA },
	{ kat_ones, 32, 0x62A8AB43 },
	{ kat_ascending, 32, 0x46DD794E },
	{ kat_descending, 32, 0x113FDB5C },
};

/* Reference values of the xxHash specification, seed 0. */
static const struct {
	const char *text;
	u64 hash;
} xxhash_kats[] = {
	{ "", 0xEF46DB3751D8E999ULL },
	{ "a", 0xD24EC4F1A98C6E5BULL },
	{ "abc", 0x44BC2CF5AD770999ULL },
	{ "Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1ULL },
};

#define KAT_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

/* FIPS 180-2 appendix B; BLAKE2b-256 from the reference implementation. */
static const struct {
	u16 type;
	const char *text;
	const char *hex;
} digest_kats[] = {
	{ BTRFS_CSUM_TYPE_SHA256, "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ BTRFS_CSUM_TYPE_SHA256, "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ BTRFS_CSUM_TYPE_SHA256, KAT_448,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ BTRFS_CSUM_TYPE_BLAKE2, "",
	  "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8" },
	{ BTRFS_CSUM_TYPE_BLAKE2, "abc",
	  "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319" },
	{ BTRFS_CSUM_TYPE_BLAKE2, KAT_448,
	  "5f7a93da9c5621583f22e49e8e91a40cbba37536622235a380f434b9f68e49c4" },
};

/* Compare a stored checksum with the hex spelling of its bytes. */
static bool csum_matches_hex(const u8 *csum, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; hex[2 * i]; i++) {
		if (digits[csum[i] >> 4] != hex[2 * i] ||
		    digits[csum[i] & 0xf] != hex[2 * i + 1])
			return false;
	}
	/* Bytes past the digest must be zero-filled. */
	for (; i < BTRFS_CSUM_SIZE; i++) {
		if (csum[i])
			return false;
	}
	return true;
}

static bool crc32c_kats_pass(void)
{
	bool sse42 = btrfs_crc32c_sse42_supported();
	u8 out[BTRFS_CSUM_SIZE];

	for (size_t i = 0; i < sizeof(crc32c_kats) / sizeof(crc32c_kats[0]); i++) {
		const void *data = crc32c_kats[i].data;
		size_t len = crc32c_kats[i].len;
		u32 want = crc32c_kats[i].crc;
		__le32 le = cpu_to_le32(want);

		if (~btrfs_crc32c_generic(~0U, data, len) != want)
			return false;
		if (sse42 && ~btrfs_crc32c_sse42(~0U, data, len) != want)
			return false;
		if (btrfs_csum_data(BTRFS_CSUM_TYPE_CRC32, data, len, out) ||
		    memcmp(out, &le, 4) || out[4] || out[BTRFS_CSUM_SIZE - 1])
			return false;
	}
	return true;
}

static bool xxhash_kats_pass(void)
{
	u8 out[BTRFS_CSUM_SIZE];

	for (size_t i = 0; i < sizeof(xxhash_kats) / sizeof(xxhash_kats[0]); i++) {
		const char *text = xxhash_kats[i].text;
		__le64 le = cpu_to_le64(xxhash_kats[i].hash);

		if (btrfs_csum_data(BTRFS_CSUM_TYPE_XXHASH, text, strlen(text), out) ||
		    memcmp(out, &le, 8) || out[8] || out[BTRFS_CSUM_SIZE - 1])
			return false;
	}
	return true;
}

static bool digest_kats_pass(void)
{
	u8 out[BTRFS_CSUM_SIZE];

	for (size_t i = 0; i < sizeof(digest_kats) / sizeof(digest_kats[0]); i++) {
		const char *text = digest_kats[i].text;

		if (btrfs_csum_data(digest_kats[i].type, text, strlen(text), out) ||
		    !csum_matches_hex(out, digest_kats[i].hex))
			return false;
	}
	return true;
}

/* A fixed xorshift64 stream: the same "random" buffers on every run. */
static u64 selftest_next(u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/*
 * Both crc32c implementations must agree on odd lengths at every alignment,
 * and chaining through the seed must equal one pass over the whole buffer.
 */
static bool crc32c_impls_agree(void)
{
	u8 buf[1024 + 16];
	u64 state = 0x9E3779B97F4A7C15ULL;
	bool sse42 = btrfs_crc32c_sse42_supported();

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)selftest_next(&state);
	for (int round = 0; round < 200; round++) {
		size_t off = selftest_next(&state) % 16;
		size_t len = (selftest_next(&state) % 1024) | 1;
		size_t cut = selftest_next(&state) % (len + 1);
		u32 seed = (u32)selftest_next(&state);
		u32 whole = btrfs_crc32c_generic(seed, buf + off, len);
		u32 part = btrfs_crc32c_generic(seed, buf + off, cut);

		if (btrfs_crc32c_generic(part, buf + off + cut, len - cut) != whole)
			return false;
		if (!sse42)
			continue;
		if (btrfs_crc32c_sse42(seed, buf + off, len) != whole)
			return false;
		part = btrfs_crc32c_sse42(seed, buf + off, cut);
		if (btrfs_crc32c_sse42(part, buf + off + cut, len - cut) != whole)
			return false;
	}
	return true;
}

int btrfs_csum_selftest(void)
{
	if (!crc32c_kats_pass() || !crc32c_impls_agree() ||
	    !xxhash_kats_pass() || !digest_kats_pass())
		return -EIO;
	return 0;
}

u64 btrfs_name_hash(const void *name, size_t len)
{
	return btrfs_crc32c((u32)~1U, name, len);
}

u64 btrfs_extref_hash(u64 parent, const void *name, size_t len)
{
	return btrfs_crc32c((u32)parent, name, len);
}

u64 btrfs_extent_data_ref_hash(u64 root, u64 objectid, u64 offset)
{
	u32 high = ~0U, low = ~0U;
	__le64 le;

	le = cpu_to_le64(root);
	high = btrfs_crc32c(high, &le, sizeof(le));
	le = cpu_to_le64(objectid);
	low = btrfs_crc32c(low, &le, sizeof(le));
	le = cpu_to_le64(offset);
	low = btrfs_crc32c(low, &le, sizeof(le));
	return ((u64)high << 31) ^ (u64)low;
}
