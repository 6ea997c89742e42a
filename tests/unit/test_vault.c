/*
 * test_vault.c: unit tests for vault.h — sealing round trips, every way
 * a sealed value must refuse to open, key files and the environment
 * key, rotation, passwords and tokens.  Runs in a few seconds; most of
 * that is Argon2id, which is slow on purpose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kd.h"
#include "vault/vault.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char secret[] = "I have not slept properly since March.";

/* A vault over a fixed key, so one test can open what another sealed. */
static vault *vault_fixed(unsigned char fill)
{
	unsigned char key[VAULT_KEY_BYTES];
	vault *v = NULL;

	memset(key, fill, sizeof(key));
	assert_int_equal(vault_open_key(key, &v), 0);
	assert_non_null(v);
	return v;
}

static void seal_one(vault *v, int64_t owner, const unsigned char *wk,
		     size_t wk_len, unsigned char **sealed, size_t *sealed_len)
{
	assert_int_equal(vault_seal(v, owner, wk, wk_len, "journal", "body",
				    42, secret, strlen(secret), sealed,
				    sealed_len),
			 0);
}

static int unseal_one(vault *v, int64_t owner, const unsigned char *wk,
		      size_t wk_len, const char *table, const char *column,
		      int64_t row, const unsigned char *sealed,
		      size_t sealed_len)
{
	char *plain = (char *)1;
	size_t plain_len = 1;
	int rc;

	rc = vault_unseal(v, owner, wk, wk_len, table, column, row, sealed,
			  sealed_len, &plain, &plain_len);
	if (rc == 0) {
		assert_int_equal(plain_len, strlen(secret));
		assert_string_equal(plain, secret);
	} else {
		assert_null(plain);
		assert_int_equal(plain_len, 0);
	}
	free(plain);
	return rc;
}

static void test_round_trip(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk, *sealed, *empty;
	size_t wk_len, sealed_len, empty_len, big_len = 100000, out_len;
	char *big = malloc(big_len), *out;

	KD_UNUSED(state);
	assert_non_null(big);
	assert_int_equal(vault_key_new(v, 7, &wk, &wk_len), 0);
	assert_int_equal(wk_len, VAULT_WRAPPED_LEN);
	seal_one(v, 7, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(sealed_len, strlen(secret) + VAULT_SEAL_OVERHEAD);
	assert_null(memmem(sealed, sealed_len, "slept", 5));
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);

	/* Empty text seals too, and opens as "". */
	assert_int_equal(vault_seal(v, 7, wk, wk_len, "t", "c", 1, NULL, 0,
				    &empty, &empty_len),
			 0);
	assert_int_equal(empty_len, VAULT_SEAL_OVERHEAD);
	assert_int_equal(vault_unseal(v, 7, wk, wk_len, "t", "c", 1, empty,
				      empty_len, &out, &out_len),
			 0);
	assert_int_equal(out_len, 0);
	assert_string_equal(out, "");
	free(out);

	/* Binary with NULs survives, and the result is NUL-terminated. */
	vault_random(big, big_len);
	free(sealed);
	assert_int_equal(vault_seal(v, 7, wk, wk_len, "t", "c", 1, big,
				    big_len, &sealed, &sealed_len),
			 0);
	assert_int_equal(vault_unseal(v, 7, wk, wk_len, "t", "c", 1, sealed,
				      sealed_len, &out, &out_len),
			 0);
	assert_int_equal(out_len, big_len);
	assert_memory_equal(out, big, big_len);
	assert_int_equal(out[big_len], '\0');

	free(out);
	free(big);
	free(empty);
	free(sealed);
	free(wk);
	vault_close(v);
}

/* A key opened once opens each of a person's values, only theirs and only
 * with the right binding, and is wiped on close. */
static void test_dk_run(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk, *other_wk, *sealed[3];
	size_t wk_len, other_len, sealed_len[3];
	vault_dk k, zero;
	char *plain;
	size_t plain_len;
	int i;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(v, 7, &wk, &wk_len), 0);
	assert_int_equal(vault_key_new(v, 8, &other_wk, &other_len), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(vault_seal(v, 7, wk, wk_len, "checkins", "note", i + 1, secret,
					    strlen(secret), &sealed[i], &sealed_len[i]),
				 0);
	/* Another owner's wrapped key does not open as 7's. */
	assert_int_equal(vault_dk_open(v, 7, other_wk, other_len, &k), KD_ECRYPTO);
	assert_false(k.open);
	assert_int_equal(vault_dk_unseal(&k, "checkins", "note", 1, sealed[0], sealed_len[0],
					 &plain, &plain_len),
			 KD_EINVAL);
	assert_int_equal(vault_dk_open(v, 7, wk, wk_len, &k), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vault_dk_unseal(&k, "checkins", "note", i + 1, sealed[i],
						 sealed_len[i], &plain, &plain_len),
				 0);
		assert_int_equal(plain_len, strlen(secret));
		assert_string_equal(plain, secret);
		free(plain);
	}
	/* The binding still holds: row 2's value is not row 1's. */
	assert_int_equal(vault_dk_unseal(&k, "checkins", "note", 1, sealed[1], sealed_len[1],
					 &plain, &plain_len),
			 KD_ECRYPTO);
	assert_null(plain);
	vault_dk_close(&k);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&k, &zero, sizeof(k));
	for (i = 0; i < 3; i++)
		free(sealed[i]);
	free(wk);
	free(other_wk);
	vault_close(v);
}

static void test_fresh_nonces(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk1, *wk2, *s1, *s2;
	size_t wk1_len, wk2_len, s1_len, s2_len;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(v, 7, &wk1, &wk1_len), 0);
	assert_int_equal(vault_key_new(v, 7, &wk2, &wk2_len), 0);
	assert_memory_not_equal(wk1, wk2, VAULT_WRAPPED_LEN);
	seal_one(v, 7, wk1, wk1_len, &s1, &s1_len);
	seal_one(v, 7, wk1, wk1_len, &s2, &s2_len);
	assert_int_equal(s1_len, s2_len);
	assert_memory_not_equal(s1, s2, s1_len);
	/* Another data key of the same owner does not open it. */
	assert_int_equal(unseal_one(v, 7, wk2, wk2_len, "journal", "body", 42,
				    s1, s1_len),
			 KD_ECRYPTO);
	free(s1);
	free(s2);
	free(wk1);
	free(wk2);
	vault_close(v);
}

static void test_tamper_sealed(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk, *sealed;
	size_t wk_len, sealed_len, i;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(v, 7, &wk, &wk_len), 0);
	seal_one(v, 7, wk, wk_len, &sealed, &sealed_len);
	for (i = 0; i < sealed_len; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal",
					    "body", 42, sealed, sealed_len),
				 KD_ECRYPTO);
		sealed[i] ^= 0x01;
	}
	for (i = 0; i < sealed_len; i++)
		assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal",
					    "body", 42, sealed, i),
				 KD_ECRYPTO);
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);
	free(sealed);
	free(wk);
	vault_close(v);
}

static void test_tamper_wrapped(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk, *sealed, *s2;
	size_t wk_len, sealed_len, s2_len, i;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(v, 7, &wk, &wk_len), 0);
	seal_one(v, 7, wk, wk_len, &sealed, &sealed_len);
	for (i = 0; i < wk_len; i++) {
		wk[i] ^= 0x80;
		assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal",
					    "body", 42, sealed, sealed_len),
				 KD_ECRYPTO);
		s2 = (unsigned char *)1;
		assert_int_equal(vault_seal(v, 7, wk, wk_len, "t", "c", 1, "x",
					    1, &s2, &s2_len),
				 KD_ECRYPTO);
		assert_null(s2);
		wk[i] ^= 0x80;
	}
	assert_int_equal(unseal_one(v, 7, wk, wk_len - 1, "journal", "body",
				    42, sealed, sealed_len),
			 KD_ECRYPTO);
	free(sealed);
	free(wk);
	vault_close(v);
}

static void test_wrong_binding(void **state)
{
	vault *v = vault_fixed(1);
	unsigned char *wk, *sealed;
	size_t wk_len, sealed_len;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(v, 7, &wk, &wk_len), 0);
	seal_one(v, 7, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "notes", "body", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal", "title", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal", "body", 43,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journal", "body", -42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	/* The NUL separators keep ("journalb", "ody") apart from ("journal",
	 * "body"). */
	assert_int_equal(unseal_one(v, 7, wk, wk_len, "journalb", "ody", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	/* The wrapped key is bound to its owner. */
	assert_int_equal(unseal_one(v, 8, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(unseal_one(v, 7 + (INT64_C(1) << 32), wk, wk_len,
				    "journal", "body", 42, sealed, sealed_len),
			 KD_ECRYPTO);
	free(sealed);
	free(wk);
	vault_close(v);
}

static void test_wrong_master_key(void **state)
{
	vault *a = vault_fixed(1), *b = vault_fixed(2);
	unsigned char *wk, *sealed;
	size_t wk_len, sealed_len;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(a, 7, &wk, &wk_len), 0);
	seal_one(a, 7, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(unseal_one(b, 7, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	free(sealed);
	free(wk);
	vault_close(a);
	vault_close(b);
}

static void test_rewrap(void **state)
{
	vault *old = vault_fixed(1), *new = vault_fixed(2);
	unsigned char *wk, *wk2, *sealed, *bad;
	size_t wk_len, wk2_len, sealed_len, bad_len;

	KD_UNUSED(state);
	assert_int_equal(vault_key_new(old, 7, &wk, &wk_len), 0);
	seal_one(old, 7, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(vault_rewrap(old, new, 7, wk, wk_len, &wk2, &wk2_len),
			 0);
	assert_int_equal(wk2_len, VAULT_WRAPPED_LEN);
	/* The same data key under the new master key: old seals still open. */
	assert_int_equal(unseal_one(new, 7, wk2, wk2_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);
	assert_int_equal(unseal_one(old, 7, wk2, wk2_len, "journal", "body", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(unseal_one(new, 7, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 KD_ECRYPTO);
	/* Rewrapping under the wrong `from`, or for another owner, fails. */
	bad = (unsigned char *)1;
	assert_int_equal(vault_rewrap(new, old, 7, wk, wk_len, &bad, &bad_len),
			 KD_ECRYPTO);
	assert_null(bad);
	assert_int_equal(vault_rewrap(old, new, 8, wk, wk_len, &bad, &bad_len),
			 KD_ECRYPTO);
	assert_null(bad);
	free(sealed);
	free(wk2);
	free(wk);
	vault_close(old);
	vault_close(new);
}

static void tmpdir_make(char *dir, size_t size)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, size, "%s/vault-test-XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_keyfile_create_and_reread(void **state)
{
	char dir[256], path[300], text[80];
	unsigned char key[VAULT_KEY_BYTES], *wk, *sealed;
	size_t wk_len, sealed_len;
	struct stat st;
	vault *a = NULL, *b = NULL, *c = NULL;
	ssize_t n;
	int fd;

	KD_UNUSED(state);
	unsetenv("KINDRED_MASTER_KEY");
	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);

	assert_int_equal(vault_open(path, &a), 0);
	assert_non_null(a);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_int_equal(n, 65);
	text[n] = '\0';
	assert_int_equal(text[64], '\n');
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);

	/* Reopening reads the same key rather than making another. */
	assert_int_equal(vault_open(path, &b), 0);
	assert_int_equal(vault_key_new(a, 3, &wk, &wk_len), 0);
	seal_one(a, 3, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(unseal_one(b, 3, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);

	/* And it is the key the file spells out. */
	for (n = 0; n < VAULT_KEY_BYTES; n++) {
		unsigned int byte;

		assert_int_equal(sscanf(text + 2 * n, "%2x", &byte), 1);
		key[n] = (unsigned char)byte;
	}
	assert_int_equal(vault_open_key(key, &c), 0);
	assert_int_equal(unseal_one(c, 3, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);

	/* Without the trailing newline it still reads. */
	vault_close(c);
	c = NULL;
	text[64] = '\0';
	write_file(path, text, 0600);
	assert_int_equal(vault_open(path, &c), 0);
	assert_int_equal(unseal_one(c, 3, wk, wk_len, "journal", "body", 42,
				    sealed, sealed_len),
			 0);

	free(sealed);
	free(wk);
	vault_close(a);
	vault_close(b);
	vault_close(c);
	unlink(path);
	rmdir(dir);
}

static void test_keyfile_refused(void **state)
{
	static const mode_t loose[] = { 0644, 0640, 0604, 0660, 0602 };
	static const char *const bad[] = {
		"",
		"00112233",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n",
		" 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	};
	char dir[256], path[300];
	vault *v = (vault *)1;
	size_t i;

	KD_UNUSED(state);
	unsetenv("KINDRED_MASTER_KEY");
	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);

	assert_int_equal(vault_open(path, &v), 0);
	vault_close(v);
	for (i = 0; i < KD_ARRAY_LEN(loose); i++) {
		assert_int_equal(chmod(path, loose[i]), 0);
		v = (vault *)1;
		assert_int_equal(vault_open(path, &v), KD_ECONFIG);
		assert_null(v);
	}
	for (i = 0; i < KD_ARRAY_LEN(bad); i++) {
		write_file(path, bad[i], 0600);
		v = (vault *)1;
		assert_int_equal(vault_open(path, &v), KD_ECONFIG);
		assert_null(v);
	}
	unlink(path);

	/* A directory is not a key file; a missing directory is an I/O error. */
	assert_int_equal(vault_open(dir, &v), KD_ECONFIG);
	snprintf(path, sizeof(path), "%s/no/such/master.key", dir);
	assert_int_equal(vault_open(path, &v), KD_EIO);
	assert_null(v);
	assert_int_equal(vault_open(NULL, &v), KD_EINVAL);
	rmdir(dir);
}

static void test_env_key(void **state)
{
	static const char hex[] =
		"0101010101010101010101010101010101010101010101010101010101010101";
	static const char *const bad[] = {
		"",
		"01010101",
		"010101010101010101010101010101010101010101010101010101010101010",
		"01010101010101010101010101010101010101010101010101010101010101010",
		"0101010101010101010101010101010101010101010101010101010101010x01",
		"0101010101010101010101010101010101010101010101010101010101010101\n",
	};
	char dir[256], path[300];
	unsigned char *wk, *sealed;
	size_t wk_len, sealed_len, i;
	vault *fixed = vault_fixed(1), *v = NULL;

	KD_UNUSED(state);
	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);

	/* The environment wins, and no key file is made. */
	assert_int_equal(setenv("KINDRED_MASTER_KEY", hex, 1), 0);
	assert_int_equal(vault_open(path, &v), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vault_key_new(v, 5, &wk, &wk_len), 0);
	seal_one(v, 5, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(unseal_one(fixed, 5, wk, wk_len, "journal", "body",
				    42, sealed, sealed_len),
			 0);
	vault_close(v);

	for (i = 0; i < KD_ARRAY_LEN(bad); i++) {
		assert_int_equal(setenv("KINDRED_MASTER_KEY", bad[i], 1), 0);
		v = (vault *)1;
		assert_int_equal(vault_open(path, &v), KD_ECONFIG);
		assert_null(v);
	}
	unsetenv("KINDRED_MASTER_KEY");
	assert_int_equal(access(path, F_OK), -1);

	free(sealed);
	free(wk);
	vault_close(fixed);
	rmdir(dir);
}

/* Reads a key file's text. */
static size_t read_file(const char *path, char *text, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, text, size - 1);
	close(fd);
	assert_true(n >= 0);
	text[n] = '\0';
	return (size_t)n;
}

/*
 * A rotation as `kindred rekey` does it, seen by a running server: the
 * file gains a new current key; the server's vault picks it up when it
 * meets a key wrapped under it, and wraps new keys under it from then
 * on; after the old key is retired, a vault with only the old key opens
 * nothing rotated.
 */
static void test_keyring_rotation(void **state)
{
	char dir[256], path[300], tmp[310], before[200], after[200], id[VAULT_KEY_ID_SIZE],
		wid[VAULT_KEY_ID_SIZE];
	unsigned char *wk, *wk2, *wk3, *sealed, *bad;
	size_t wk_len, wk2_len, wk3_len, sealed_len, bad_len;
	vault *server = NULL, *rekey = NULL, *oldonly = NULL, *fresh = NULL;
	int started = -1;

	KD_UNUSED(state);
	unsetenv("KINDRED_MASTER_KEY");
	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(vault_open(path, &server), 0);
	assert_int_equal(vault_key_count(server), 1);
	assert_int_equal(vault_key_new(server, 7, &wk, &wk_len), 0);
	seal_one(server, 7, wk, wk_len, &sealed, &sealed_len);
	assert_int_equal(vault_key_check(server, 7, wk, wk_len), 1);
	vault_key_id(server, 0, id);
	vault_wrapped_id(wk, wk_len, wid);
	assert_string_equal(id, wid);
	read_file(path, before, sizeof(before));

	/* The file gets a new key in front of the old one. */
	assert_int_equal(vault_keyfile_rotate(path, &started), 0);
	assert_int_equal(started, 1);
	assert_int_equal(read_file(path, after, sizeof(after)), 130);
	assert_memory_equal(after + 65, before, 65);
	/* A second call while the rotation is under way changes nothing. */
	assert_int_equal(vault_keyfile_rotate(path, &started), 0);
	assert_int_equal(started, 0);
	read_file(path, tmp, sizeof(tmp));
	assert_string_equal(tmp, after);

	assert_int_equal(vault_open(path, &rekey), 0);
	assert_int_equal(vault_key_count(rekey), 2);
	assert_int_equal(vault_key_check(rekey, 7, wk, wk_len), 0);
	assert_int_equal(vault_key_update(rekey, 7, wk, wk_len, &wk2, &wk2_len), 0);
	assert_int_equal(vault_key_check(rekey, 7, wk2, wk2_len), 1);
	assert_int_equal(vault_key_update(rekey, 8, wk, wk_len, &bad, &bad_len), KD_ECRYPTO);
	assert_null(bad);

	/* The server meets the re-wrapped key and reads the file again. */
	assert_int_equal(vault_key_count(server), 1);
	assert_int_equal(unseal_one(server, 7, wk2, wk2_len, "journal", "body", 42, sealed,
				    sealed_len),
			 0);
	assert_int_equal(vault_key_count(server), 2);
	/* New keys are wrapped under the new key. */
	assert_int_equal(vault_key_new(server, 9, &wk3, &wk3_len), 0);
	assert_int_equal(vault_key_check(rekey, 9, wk3, wk3_len), 1);

	/* Retired: the file holds the new key alone, which opens it all. */
	assert_int_equal(vault_keyfile_retire(path), 0);
	assert_int_equal(read_file(path, tmp, sizeof(tmp)), 65);
	assert_memory_equal(tmp, after, 65);
	assert_int_equal(vault_open(path, &fresh), 0);
	assert_int_equal(vault_key_count(fresh), 1);
	assert_int_equal(unseal_one(fresh, 7, wk2, wk2_len, "journal", "body", 42, sealed,
				    sealed_len),
			 0);
	assert_int_equal(vault_key_check(fresh, 7, wk, wk_len), KD_ECRYPTO);

	/* A vault with only the old key opens nothing rotated. */
	write_file(path, before, 0600);
	assert_int_equal(vault_open(path, &oldonly), 0);
	assert_int_equal(unseal_one(oldonly, 7, wk2, wk2_len, "journal", "body", 42, sealed,
				    sealed_len),
			 KD_ECRYPTO);
	assert_int_equal(vault_key_check(oldonly, 9, wk3, wk3_len), KD_ECRYPTO);

	/* A stale PATH.new stops a rotation instead of being overwritten. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	write_file(tmp, "x", 0600);
	assert_int_equal(vault_keyfile_rotate(path, &started), KD_EEXIST);
	assert_int_equal(started, 0);
	read_file(path, after, sizeof(after));
	assert_string_equal(after, before);
	unlink(tmp);

	free(sealed);
	free(wk);
	free(wk2);
	free(wk3);
	vault_close(server);
	vault_close(rekey);
	vault_close(fresh);
	vault_close(oldonly);
	unlink(path);
	rmdir(dir);
}

/* Several keys in the environment, the current first; a data key wrapped
 * in the first format (no key id) still opens, with any key of the ring. */
static void test_keyring_env_and_v1(void **state)
{
	static const char one[] = "0101010101010101010101010101010101010101010101010101010101010101";
	static const char two[] = "0202020202020202020202020202020202020202020202020202020202020202";
	char both[140], dir[256], path[300];
	unsigned char key[VAULT_KEY_BYTES], dk[VAULT_KEY_BYTES], v1[73], ad[19], *sealed, *wk,
		*up;
	size_t sealed_len, wk_len, up_len, i;
	vault *v = NULL, *olds = vault_fixed(1);
	unsigned long long clen;

	KD_UNUSED(state);
	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);
	snprintf(both, sizeof(both), "%s,%s", two, one);
	assert_int_equal(setenv("KINDRED_MASTER_KEY", both, 1), 0);
	assert_int_equal(vault_open(path, &v), 0);
	assert_int_equal(vault_key_count(v), 2);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vault_key_new(olds, 4, &wk, &wk_len), 0);
	assert_int_equal(vault_key_check(v, 4, wk, wk_len), 0);
	free(wk);
	vault_close(v);
	for (i = 0; i < 3; i++) {
		static const char *const bad[] = {"", ",", "%s,%s,"};

		snprintf(both, sizeof(both), bad[i], two, one);
		assert_int_equal(setenv("KINDRED_MASTER_KEY", both, 1), 0);
		assert_int_equal(vault_open(path, &v), KD_ECONFIG);
	}
	snprintf(both, sizeof(both), "%s,%s", one, one);
	assert_int_equal(setenv("KINDRED_MASTER_KEY", both, 1), 0);
	assert_int_equal(vault_open(path, &v), KD_ECONFIG);
	snprintf(both, sizeof(both), "%s,%s", two, one);
	assert_int_equal(setenv("KINDRED_MASTER_KEY", both, 1), 0);
	assert_int_equal(vault_open(path, &v), 0);
	unsetenv("KINDRED_MASTER_KEY");

	/* A version-1 wrapping of dk for owner 4 under key one. */
	memset(key, 1, sizeof(key));
	randombytes_buf(dk, sizeof(dk));
	memcpy(ad, "kindred-dk", 11);
	for (i = 0; i < 8; i++)
		ad[11 + i] = (unsigned char)(i == 7 ? 4 : 0);
	v1[0] = 1;
	randombytes_buf(v1 + 1, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(v1 + 25, &clen, dk, sizeof(dk), ad,
						   sizeof(ad), NULL, v1 + 1, key);
	assert_int_equal(vault_key_check(v, 4, v1, sizeof(v1)), 0);
	assert_int_equal(vault_key_check(olds, 4, v1, sizeof(v1)), 0);
	assert_int_equal(vault_key_check(v, 5, v1, sizeof(v1)), KD_ECRYPTO);
	assert_int_equal(vault_seal(olds, 4, v1, sizeof(v1), "journal", "body", 42, secret,
				    strlen(secret), &sealed, &sealed_len),
			 0);
	assert_int_equal(vault_key_update(v, 4, v1, sizeof(v1), &up, &up_len), 0);
	assert_int_equal(up_len, VAULT_WRAPPED_LEN);
	assert_int_equal(vault_key_check(v, 4, up, up_len), 1);
	assert_int_equal(unseal_one(v, 4, up, up_len, "journal", "body", 42, sealed, sealed_len),
			 0);
	free(up);
	free(sealed);
	vault_close(v);
	vault_close(olds);
	rmdir(dir);
}

static void test_password(void **state)
{
	char h1[VAULT_PWHASH_SIZE], h2[VAULT_PWHASH_SIZE];

	KD_UNUSED(state);
	assert_int_equal(vault_password_hash("correct horse battery", h1), 0);
	assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
	assert_true(strlen(h1) < VAULT_PWHASH_SIZE);
	assert_int_equal(vault_password_verify(h1, "correct horse battery"), 0);
	assert_int_equal(vault_password_verify(h1, "correct horse batterY"),
			 KD_EAUTH);
	assert_int_equal(vault_password_verify(h1, ""), KD_EAUTH);
	assert_int_equal(vault_password_verify("not a hash", "x"), KD_EAUTH);
	assert_int_equal(vault_password_verify(NULL, "x"), KD_EINVAL);

	/* Salted: the same password never hashes the same way twice. */
	assert_int_equal(vault_password_hash("correct horse battery", h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(vault_password_verify(h2, "correct horse battery"), 0);

	assert_int_equal(vault_password_needs_rehash(h1), 0);
	assert_int_equal(vault_password_needs_rehash("garbage"), 1);
	/* Weaker limits than ours, and Argon2i, still verify but want a
	 * new hash. */
	assert_int_equal(crypto_pwhash_str_alg(h2, "pw", 2,
					       crypto_pwhash_OPSLIMIT_MIN,
					       crypto_pwhash_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_int_equal(vault_password_verify(h2, "pw"), 0);
	assert_int_equal(vault_password_needs_rehash(h2), 1);
	assert_int_equal(crypto_pwhash_str_alg(h2, "pw", 2,
					       crypto_pwhash_argon2i_OPSLIMIT_MIN,
					       crypto_pwhash_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2I13),
			 0);
	assert_int_equal(strncmp(h2, "$argon2i$", 9), 0);
	assert_int_equal(vault_password_verify(h2, "pw"), 0);
	assert_int_equal(vault_password_needs_rehash(h2), 1);

	vault_password_dummy_verify("anything");
	vault_password_dummy_verify("");
	vault_password_dummy_verify(NULL);
}

static void test_tokens(void **state)
{
	enum { N = 200 };
	static char tokens[N][VAULT_TOKEN_SIZE];
	unsigned char h1[VAULT_TOKEN_HASH_BYTES], h2[VAULT_TOKEN_HASH_BYTES];
	size_t i, j;

	KD_UNUSED(state);
	for (i = 0; i < N; i++) {
		vault_token_new(tokens[i]);
		assert_int_equal(strlen(tokens[i]), 43);
		assert_int_equal(strspn(tokens[i],
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"abcdefghijklmnopqrstuvwxyz0123456789-_"),
				 43);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			assert_string_not_equal(tokens[i], tokens[j]);

	vault_token_hash(tokens[0], h1);
	vault_token_hash(tokens[0], h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(vault_equal(h1, h2, sizeof(h1)), 1);
	vault_token_hash(tokens[1], h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_int_equal(vault_equal(h1, h2, sizeof(h1)), 0);

	/* A known vector, so the digest cannot drift between releases and
	 * strand every stored session: BLAKE2b-256("abc"). */
	{
		static const unsigned char abc[32] = {
			0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72,
			0x31, 0x71, 0xef, 0x3f, 0xee, 0x98, 0x57, 0x9b,
			0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e, 0x42,
			0x72, 0x62, 0xc8, 0xc0, 0x68, 0xd5, 0x23, 0x19,
		};

		vault_token_hash("abc", h1);
		assert_memory_equal(h1, abc, sizeof(abc));
	}
}

static void test_equal_and_random(void **state)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	KD_UNUSED(state);
	assert_int_equal(vault_equal("abc", "abc", 3), 1);
	assert_int_equal(vault_equal("abc", "abd", 3), 0);
	assert_int_equal(vault_equal("abc", "xyz", 0), 1);
	vault_random(a, sizeof(a));
	vault_random(b, sizeof(b));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
}

static void test_close_null(void **state)
{
	KD_UNUSED(state);
	vault_close(NULL);
}

struct worker {
	vault *v;
	int64_t owner;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned char *wk = NULL, *sealed;
	size_t wk_len, sealed_len, plain_len;
	char *plain;
	int i;

	if (vault_key_new(w->v, w->owner, &wk, &wk_len) != 0)
		w->failures++;
	for (i = 0; wk && i < 500; i++) {
		if (vault_seal(w->v, w->owner, wk, wk_len, "journal", "body", i,
			       secret, strlen(secret), &sealed,
			       &sealed_len) != 0) {
			w->failures++;
			continue;
		}
		if (vault_unseal(w->v, w->owner, wk, wk_len, "journal", "body",
				 i, sealed, sealed_len, &plain,
				 &plain_len) != 0 ||
		    strcmp(plain, secret) != 0)
			w->failures++;
		free(plain);
		free(sealed);
	}
	vault_password_dummy_verify("guess");
	free(wk);
	return NULL;
}

static void test_threads(void **state)
{
	enum { T = 4 };
	pthread_t tid[T];
	struct worker w[T];
	vault *v = vault_fixed(3);
	int i;

	KD_UNUSED(state);
	for (i = 0; i < T; i++) {
		w[i].v = v;
		w[i].owner = i + 1;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, worker_run, &w[i]),
				 0);
	}
	for (i = 0; i < T; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	vault_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_dk_run),
		cmocka_unit_test(test_fresh_nonces),
		cmocka_unit_test(test_tamper_sealed),
		cmocka_unit_test(test_tamper_wrapped),
		cmocka_unit_test(test_wrong_binding),
		cmocka_unit_test(test_wrong_master_key),
		cmocka_unit_test(test_rewrap),
		cmocka_unit_test(test_keyfile_create_and_reread),
		cmocka_unit_test(test_keyfile_refused),
		cmocka_unit_test(test_env_key),
		cmocka_unit_test(test_keyring_rotation),
		cmocka_unit_test(test_keyring_env_and_v1),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_equal_and_random),
		cmocka_unit_test(test_close_null),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
