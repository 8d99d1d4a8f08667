// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checksum layer: published known answers for every algorithm, both
 * crc32c implementations on their own, the type table, the run-time choice
 * of crc32c, and the superblock checksum rule on a synthetic block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "kernel-shared/csum.h"
#include "kernel-shared/crc32c.h"
#include "tests/unit/tap.h"

typedef u32 (*crc_fn)(u32 crc, const void *data, size_t len);

static void hex_of(const u8 *bytes, size_t len, char *hex)
{
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", bytes[i]);
}

/* The standard CRC-32C check value and RFC 3720 appendix B.4, per function. */
static void test_crc32c_kats(const char *name, crc_fn fn)
{
	u8 buf[32];

	tap_ok(~fn(~0U, "123456789", 9) == 0xE3069283,
	       "%s: crc32c(\"123456789\") = 0xE3069283", name);
	tap_ok(~fn(~0U, "", 0) == 0, "%s: crc32c of nothing is 0", name);
	memset(buf, 0, sizeof(buf));
	tap_ok(~fn(~0U, buf, 32) == 0x8A9136AA, "%s: 32 zero bytes", name);
	memset(buf, 0xff, sizeof(buf));
	tap_ok(~fn(~0U, buf, 32) == 0x62A8AB43, "%s: 32 0xff bytes", name);
	for (int i = 0; i < 32; i++)
		buf[i] = i;
	tap_ok(~fn(~0U, buf, 32) == 0x46DD794E, "%s: 32 ascending bytes", name);
	for (int i = 0; i < 32; i++)
		buf[i] = 31 - i;
	tap_ok(~fn(~0U, buf, 32) == 0x113FDB5C, "%s: 32 descending bytes", name);
	/* btrfs hashes names with a raw seed of ~1 and no final inversion. */
	tap_ok(fn(~1U, "default", 7) == 0x8DBFC2D2,
	       "%s: btrfs name hash of \"default\" is 2378154706", name);
}

/* Random seeds, lengths and alignments: the two must never disagree. */
static void test_crc32c_agree(void)
{
	size_t size = 70000;
	u8 *buf = malloc(size);
	int bad = 0;

	srandom(12345);
	for (size_t i = 0; i < size; i++)
		buf[i] = random();
	for (int round = 0; round < 2000; round++) {
		size_t off = random() % 64;
		size_t len = round < 100 ? (size_t)round : random() % (size - 64);
		u32 seed = random();

		len |= round & 1;	/* plenty of odd lengths */
		if (btrfs_crc32c_generic(seed, buf + off, len) !=
		    btrfs_crc32c_sse42(seed, buf + off, len))
			bad++;
	}
	tap_ok(bad == 0, "sse4.2 and generic agree on 2000 random buffers (%d differ)", bad);
	tap_ok(btrfs_crc32c(~0U, buf, size) == btrfs_crc32c_generic(~0U, buf, size),
	       "dispatched crc32c agrees with generic on 70000 bytes");
	free(buf);
}

/* Run this binary again with BTRFS_DAX_CRC32C=generic and read back the choice. */
static void test_crc32c_forced_generic(void)
{
	char name[32] = "";
	int pipefd[2];
	pid_t pid;
	ssize_t n;
	int status;

	if (pipe(pipefd)) {
		tap_ok(0, "pipe for the forced-generic run");
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		setenv("BTRFS_DAX_CRC32C", "generic", 1);
		execl("/proc/self/exe", "test-csum", "--print-crc32c-impl", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], name, sizeof(name) - 1);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	if (n > 0)
		name[n] = 0;
	tap_ok(!strcmp(name, "generic"),
	       "BTRFS_DAX_CRC32C=generic forces the generic crc32c (got '%s')", name);
}

static void test_crc32c_impl(void)
{
	const char *force = getenv("BTRFS_DAX_CRC32C");
	const char *want = "generic";

	if ((!force || strcmp(force, "generic")) && btrfs_crc32c_sse42_supported())
		want = "sse4.2";
	tap_ok(!strcmp(btrfs_crc32c_impl(), want),
	       "crc32c implementation is %s (want %s)", btrfs_crc32c_impl(), want);
	test_crc32c_forced_generic();
}

static u64 stored_le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_xxhash(void)
{
	static const struct {
		const char *text;
		u64 hash;
	} kats[] = {
		{ "", 0xEF46DB3751D8E999ULL },
		{ "a", 0xD24EC4F1A98C6E5BULL },
		{ "abc", 0x44BC2CF5AD770999ULL },
		{ "Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1ULL },
	};
	u8 out[BTRFS_CSUM_SIZE];
	u8 sanity[101];
	u32 gen = 2654435761U;

	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		int ret = btrfs_csum_data(BTRFS_CSUM_TYPE_XXHASH, kats[i].text,
					  strlen(kats[i].text), out);

		tap_ok(ret == 0 && stored_le64(out) == kats[i].hash,
		       "xxhash64(\"%s\") = 0x%016llX stored little-endian",
		       kats[i].text, (unsigned long long)kats[i].hash);
	}
	/* The sanity buffer of xxHash's own benchmark, 101 bytes. */
	for (size_t i = 0; i < sizeof(sanity); i++) {
		sanity[i] = gen >> 24;
		gen *= gen;
	}
	btrfs_csum_data(BTRFS_CSUM_TYPE_XXHASH, sanity, 1, out);
	tap_ok(stored_le64(out) == 0x4FCE394CC88952D8ULL, "xxhash64 sanity buffer, 1 byte");
	btrfs_csum_data(BTRFS_CSUM_TYPE_XXHASH, sanity, 14, out);
	tap_ok(stored_le64(out) == 0xCFFA8DB881BC3A3DULL, "xxhash64 sanity buffer, 14 bytes");
	btrfs_csum_data(BTRFS_CSUM_TYPE_XXHASH, sanity, 101, out);
	tap_ok(stored_le64(out) == 0x0EAB543384F878ADULL, "xxhash64 sanity buffer, 101 bytes");
}

static void check_digest(u16 type, const void *data, size_t len,
			 const char *label, const char *want)
{
	u8 out[BTRFS_CSUM_SIZE];
	char hex[2 * BTRFS_CSUM_SIZE + 1];
	int ret;

	memset(out, 0xaa, sizeof(out));
	ret = btrfs_csum_data(type, data, len, out);
	hex_of(out, BTRFS_CSUM_SIZE, hex);
	tap_ok(ret == 0 && !strcmp(hex, want), "%s(%s)", btrfs_csum_type_name(type), label);
}

#define MSG448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

static void test_digests(void)
{
	size_t mlen = 1000000;
	char *million = malloc(mlen);

	memset(million, 'a', mlen);
	/* FIPS 180-2 appendix B. */
	check_digest(BTRFS_CSUM_TYPE_SHA256, "", 0, "\"\"",
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest(BTRFS_CSUM_TYPE_SHA256, "abc", 3, "\"abc\"",
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest(BTRFS_CSUM_TYPE_SHA256, MSG448, 56, "448-bit message",
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_digest(BTRFS_CSUM_TYPE_SHA256, million, mlen, "one million 'a'",
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* BLAKE2b with a 32-byte digest, unkeyed: the reference implementation. */
	check_digest(BTRFS_CSUM_TYPE_BLAKE2, "", 0, "\"\"",
		     "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	check_digest(BTRFS_CSUM_TYPE_BLAKE2, "abc", 3, "\"abc\"",
		     "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	check_digest(BTRFS_CSUM_TYPE_BLAKE2, MSG448, 56, "448-bit message",
		     "5f7a93da9c5621583f22e49e8e91a40cbba37536622235a380f434b9f68e49c4");
	check_digest(BTRFS_CSUM_TYPE_BLAKE2, million, mlen, "one million 'a'",
		     "0741850f36cba4259628355d1073e24ddb9ca0e1bfac36fd39ae5dc2101e23a4");
	free(million);
}

static void test_crc32c_stored(void)
{
	u8 out[BTRFS_CSUM_SIZE];
	int zero_tail = 1;

	memset(out, 0xaa, sizeof(out));
	btrfs_csum_data(BTRFS_CSUM_TYPE_CRC32, "123456789", 9, out);
	tap_ok(out[0] == 0x83 && out[1] == 0x92 && out[2] == 0x06 && out[3] == 0xe3,
	       "crc32c stored as little-endian bytes 83 92 06 e3");
	for (int i = 4; i < BTRFS_CSUM_SIZE; i++)
		zero_tail &= out[i] == 0;
	tap_ok(zero_tail, "crc32c checksum zero-padded to 32 bytes");
}

static void test_types(void)
{
	static const struct {
		u16 type;
		u16 size;
		const char *name;
	} want[] = {
		{ BTRFS_CSUM_TYPE_CRC32, 4, "crc32c" },
		{ BTRFS_CSUM_TYPE_XXHASH, 8, "xxhash64" },
		{ BTRFS_CSUM_TYPE_SHA256, 32, "sha256" },
		{ BTRFS_CSUM_TYPE_BLAKE2, 32, "blake2b" },
	};
	static const u16 invalid[] = { 4, 5, 0x100, 0xffff };
	u8 out[BTRFS_CSUM_SIZE];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		u16 t = want[i].type;
		const char *name = btrfs_csum_type_name(t);

		tap_ok(btrfs_csum_type_valid(t) && btrfs_csum_type_size(t) == want[i].size &&
		       name && !strcmp(name, want[i].name),
		       "type %u is %s, %u bytes", t, want[i].name, want[i].size);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		u16 t = invalid[i];

		tap_ok(!btrfs_csum_type_valid(t) && btrfs_csum_type_size(t) == 0 &&
		       !btrfs_csum_type_name(t), "type %u is unknown", t);
	}
	tap_ok(btrfs_csum_data(5, "abc", 3, out) == -EINVAL,
	       "checksumming with type 5 fails with -EINVAL");
}

/*
 * The superblock rule: the first 32 bytes hold the checksum of bytes
 * [32, 4096).  Known answers from independent implementations (Python's
 * hashlib and a bitwise crc32c) for a fixed pattern.
 */
static void test_super_rule(void)
{
	static const char *want[] = {
		[BTRFS_CSUM_TYPE_CRC32]  = "db4f664b",
		[BTRFS_CSUM_TYPE_XXHASH] = NULL,
		[BTRFS_CSUM_TYPE_SHA256] =
		"c5db58290f1b5fd2548e9915ce073ea4119924729b21bf2dcc0b304f0de000f2",
		[BTRFS_CSUM_TYPE_BLAKE2] =
		"d827801874829195c83934069467cc9fdf99b66255166f607c9742e06aa20b7c",
	};
	static const int flips[] = { 32, 33, 1000, 2048, 4095 };
	u8 block[4096];
	u8 csum[BTRFS_CSUM_SIZE];
	u8 stamped[BTRFS_CSUM_SIZE];

	for (u16 type = 0; type <= BTRFS_CSUM_TYPE_BLAKE2; type++) {
		u16 size = btrfs_csum_type_size(type);
		const char *name = btrfs_csum_type_name(type);
		char hex[2 * BTRFS_CSUM_SIZE + 1];

		for (int i = 0; i < 4096; i++)
			block[i] = (i * 31) ^ (i >> 5);
		btrfs_csum_data(type, block + 32, 4096 - 32, block);
		hex_of(block, size, hex);
		if (want[type])
			tap_ok(!strcmp(hex, want[type]), "%s of a superblock pattern", name);

		btrfs_csum_data(type, block + 32, 4096 - 32, csum);
		tap_ok(!memcmp(csum, block, size), "%s: stamped block verifies", name);
		/* The checksum area itself is not an input. */
		memcpy(stamped, block, BTRFS_CSUM_SIZE);
		memset(block, 0x5a, BTRFS_CSUM_SIZE);
		btrfs_csum_data(type, block + 32, 4096 - 32, csum);
		tap_ok(!memcmp(csum, stamped, size),
		       "%s: bytes [0, 32) are not checksummed", name);
		memcpy(block, stamped, BTRFS_CSUM_SIZE);
		for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
			block[flips[i]] ^= 0x10;
			btrfs_csum_data(type, block + 32, 4096 - 32, csum);
			tap_ok(memcmp(csum, block, size) != 0,
			       "%s: a flipped bit at byte %d is caught", name, flips[i]);
			block[flips[i]] ^= 0x10;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--print-crc32c-impl")) {
		fputs(btrfs_crc32c_impl(), stdout);
		return 0;
	}
	tap_ok(btrfs_csum_selftest() == 0, "btrfs_csum_selftest passes");
	test_crc32c_kats("generic", btrfs_crc32c_generic);
	if (btrfs_crc32c_sse42_supported()) {
		test_crc32c_kats("sse4.2", btrfs_crc32c_sse42);
		test_crc32c_agree();
	} else {
		printf("# no SSE4.2 on this CPU: skipping the sse4.2 crc32c tests\n");
	}
	test_crc32c_kats("dispatch", btrfs_crc32c);
	test_crc32c_impl();
	test_crc32c_stored();
	test_xxhash();
	test_digests();
	test_types();
	test_super_rule();
	return tap_done();
}
