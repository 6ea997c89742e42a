/*
 * vault.c: libsodium behind vault.h — the master key, wrapped data
 * keys, sealed values, Argon2id password hashes and tokens.
 *
 * Workload: vault_open() runs once at start-up.  Seal and unseal run for
 * every piece of free text read or written, many per request and from
 * many threads, on values from a few bytes to some tens of kilobytes;
 * each unwraps the person's data key (one small AEAD), so the cost is
 * two AEAD passes and no system call.  Password hashing runs once per
 * login and is deliberately slow and memory-hungry (Argon2id, 64 MiB).
 *
 * Formats, all versioned by their first byte so they can change:
 *   wrapped data key  1 || nonce[24] || XChaCha20-Poly1305(dk)  (73 bytes)
 *                     AD "kindred-dk\0" || owner_id (8 bytes, big-endian)
 *   sealed value      1 || nonce[24] || XChaCha20-Poly1305(plain)
 *                     AD table "\0" column "\0" row (8 bytes, big-endian)
 * Random 24-byte nonces are safe to draw without coordination between
 * threads or processes; that is why XChaCha20 and not ChaCha20.
 */
#include "vault/vault.h"

#include "kd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAULT_VERSION 1
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEADER_BYTES (1 + NONCE_BYTES)
#define KEY_HEX_LEN (2 * VAULT_KEY_BYTES)
#define ENV_KEY "KINDRED_MASTER_KEY"

/* "kindred-dk" with its NUL, then the owner id. */
#define DK_AD_PREFIX "kindred-dk"
#define DK_AD_LEN (sizeof(DK_AD_PREFIX) + 8)

#define PW_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE

_Static_assert(VAULT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "master and data keys are AEAD keys");
_Static_assert(VAULT_WRAPPED_LEN == HEADER_BYTES + VAULT_KEY_BYTES + TAG_BYTES,
	       "wrapped key length");
_Static_assert(VAULT_SEAL_OVERHEAD == HEADER_BYTES + TAG_BYTES,
	       "seal overhead");
_Static_assert(VAULT_PWHASH_SIZE == crypto_pwhash_STRBYTES,
	       "password hash size");
_Static_assert(VAULT_TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
		       VAULT_TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX,
	       "token hash size");

/*
 * Lives in sodium_malloc'd memory (guard pages, locked, wiped on free)
 * and holds only bytes, so sodium_malloc's end-of-page placement cannot
 * misalign it.
 */
struct vault {
	unsigned char key[VAULT_KEY_BYTES];
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[VAULT_PWHASH_SIZE];

static void sodium_start(void)
{
	sodium_status = sodium_init() < 0 ? -1 : 0;
}

/*
 * Every entry point comes through here: besides seeding the RNG,
 * sodium_init() picks the fast Argon2 code, and a login that skipped it
 * would take a different time from one that did not.
 */
static int vault_lib_init(void)
{
	pthread_once(&sodium_once, sodium_start);
	return sodium_status == 0 ? 0 : KD_ECRYPTO;
}

/* For functions that cannot report failure: a token or random bytes
 * from an unseeded generator would be worse than stopping. */
static void vault_lib_require(void)
{
	if (vault_lib_init() != 0) {
		fprintf(stderr, "kindred: libsodium failed to initialise\n");
		abort();
	}
}

static void put_be64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (56 - 8 * i));
}

static int vault_alloc(vault **out)
{
	vault *v;
	int rc = 0;

	*out = NULL;
	rc = vault_lib_init();
	if (rc)
		goto done;
	v = sodium_malloc(sizeof(*v));
	if (!v) {
		rc = KD_ENOMEM;
		goto done;
	}
	*out = v;
done:
	return rc;
}

/* Exactly 64 hex digits, nothing else; sodium_hex2bin runs in constant
 * time, which matters because the text is the key. */
static int key_from_hex(const char *hex, size_t len,
			unsigned char key[VAULT_KEY_BYTES])
{
	size_t bin_len = 0;

	if (len != KEY_HEX_LEN)
		return KD_ECONFIG;
	if (sodium_hex2bin(key, VAULT_KEY_BYTES, hex, len, NULL, &bin_len,
			   NULL) != 0 ||
	    bin_len != VAULT_KEY_BYTES)
		return KD_ECONFIG;
	return 0;
}

/*
 * Reads an existing key file.  The mode is checked on the opened file
 * (fstat, not stat) so the file judged is the file read.  Returns
 * KD_ENOTFOUND if there is no file, so the caller may create one.
 */
static int key_read(const char *path, unsigned char key[VAULT_KEY_BYTES])
{
	char text[KEY_HEX_LEN + 2]; /* room to notice a file that is too long */
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = errno == ENOENT ? KD_ENOTFOUND : KD_EIO;
		goto done;
	}
	if (fstat(fd, &st) != 0) {
		rc = KD_EIO;
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		rc = KD_ECONFIG;
		goto done;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = KD_EIO;
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == KEY_HEX_LEN + 1 && text[KEY_HEX_LEN] == '\n')
		len--;
	rc = key_from_hex(text, len, key);
done:
	sodium_memzero(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return KD_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The new file's name must survive a crash too, or the next start would
 * quietly make another key and every sealed value would be lost. */
static int sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd = -1, rc = 0;

	if (!slash)
		dir = kd_xstrdup(".");
	else if (slash == path)
		dir = kd_xstrdup("/");
	else
		dir = kd_xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = KD_EIO;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/*
 * Creates the key file with a fresh key.  O_EXCL makes creation atomic
 * and refuses to follow a planted symlink; KD_EEXIST tells the caller
 * another process got there first.  A half-written file is removed so
 * that it is not mistaken for a key later.
 */
static int key_create(const char *path, unsigned char key[VAULT_KEY_BYTES])
{
	char text[KEY_HEX_LEN + 2];
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0) {
		rc = errno == EEXIST ? KD_EEXIST : KD_EIO;
		goto done;
	}
	randombytes_buf(key, VAULT_KEY_BYTES);
	sodium_bin2hex(text, KEY_HEX_LEN + 1, key, VAULT_KEY_BYTES);
	text[KEY_HEX_LEN] = '\n';
	rc = write_all(fd, text, KEY_HEX_LEN + 1);
	if (rc == 0 && fsync(fd) != 0)
		rc = KD_EIO;
	if (close(fd) != 0 && rc == 0)
		rc = KD_EIO;
	if (rc == 0)
		rc = sync_parent_dir(path);
	if (rc)
		unlink(path);
done:
	sodium_memzero(text, sizeof(text));
	return rc;
}

static int key_from_file(const char *path, unsigned char key[VAULT_KEY_BYTES])
{
	int rc;

	rc = key_read(path, key);
	if (rc == KD_ENOTFOUND) {
		rc = key_create(path, key);
		if (rc == KD_EEXIST)
			rc = key_read(path, key);
	}
	return rc;
}

int vault_open(const char *keyfile_path, vault **out)
{
	vault *v = NULL;
	const char *env;
	int rc;

	*out = NULL;
	rc = vault_alloc(&v);
	if (rc)
		goto done;
	env = getenv(ENV_KEY);
	if (env)
		rc = key_from_hex(env, strlen(env), v->key);
	else if (keyfile_path)
		rc = key_from_file(keyfile_path, v->key);
	else
		rc = KD_EINVAL;
	if (rc)
		goto done;
	*out = v;
	v = NULL;
done:
	vault_close(v);
	return rc;
}

int vault_open_key(const unsigned char key[VAULT_KEY_BYTES], vault **out)
{
	vault *v = NULL;
	int rc;

	*out = NULL;
	rc = vault_alloc(&v);
	if (rc)
		goto done;
	memcpy(v->key, key, VAULT_KEY_BYTES);
	*out = v;
done:
	return rc;
}

void vault_close(vault *v)
{
	if (!v)
		return;
	sodium_memzero(v->key, sizeof(v->key));
	sodium_free(v);
}

static void dk_ad(int64_t owner_id, unsigned char ad[DK_AD_LEN])
{
	memcpy(ad, DK_AD_PREFIX, sizeof(DK_AD_PREFIX));
	put_be64(ad + sizeof(DK_AD_PREFIX), owner_id);
}

static void dk_wrap(const vault *v, int64_t owner_id,
		    const unsigned char dk[VAULT_KEY_BYTES],
		    unsigned char **out, size_t *out_len)
{
	unsigned char ad[DK_AD_LEN];
	unsigned char *w = kd_xmalloc(VAULT_WRAPPED_LEN);

	dk_ad(owner_id, ad);
	w[0] = VAULT_VERSION;
	randombytes_buf(w + 1, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(w + HEADER_BYTES, NULL, dk,
						   VAULT_KEY_BYTES, ad,
						   sizeof(ad), NULL, w + 1,
						   v->key);
	*out = w;
	*out_len = VAULT_WRAPPED_LEN;
}

/* The caller wipes dk whatever this returns. */
static int dk_unwrap(const vault *v, int64_t owner_id,
		     const unsigned char *wrapped, size_t wrapped_len,
		     unsigned char dk[VAULT_KEY_BYTES])
{
	unsigned char ad[DK_AD_LEN];

	if (wrapped_len != VAULT_WRAPPED_LEN || wrapped[0] != VAULT_VERSION)
		return KD_ECRYPTO;
	dk_ad(owner_id, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    dk, NULL, NULL, wrapped + HEADER_BYTES,
		    VAULT_WRAPPED_LEN - HEADER_BYTES, ad, sizeof(ad),
		    wrapped + 1, v->key) != 0)
		return KD_ECRYPTO;
	return 0;
}

int vault_key_new(vault *v, int64_t owner_id, unsigned char **wrapped,
		  size_t *wrapped_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	int rc = 0;

	*wrapped = NULL;
	*wrapped_len = 0;
	if (!v) {
		rc = KD_EINVAL;
		goto done;
	}
	randombytes_buf(dk, sizeof(dk));
	dk_wrap(v, owner_id, dk, wrapped, wrapped_len);
done:
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

/* table and column are C strings, so neither holds a NUL and the
 * encoding cannot be read two ways. */
static unsigned char *seal_ad(const char *table, const char *column,
			      int64_t row, size_t *len)
{
	size_t tl = strlen(table), cl = strlen(column);
	unsigned char *ad = kd_xmalloc(tl + 1 + cl + 1 + 8);

	memcpy(ad, table, tl + 1);
	memcpy(ad + tl + 1, column, cl + 1);
	put_be64(ad + tl + 1 + cl + 1, row);
	*len = tl + 1 + cl + 1 + 8;
	return ad;
}

/*
 * The data key sits on the stack, not in sodium_malloc'd memory: that
 * would cost an mmap and mprotects on every field sealed, and the key
 * lives only for one AEAD call before it is wiped.
 */
int vault_seal(vault *v, int64_t owner_id, const unsigned char *wrapped,
	       size_t wrapped_len, const char *table, const char *column,
	       int64_t row, const void *plain, size_t plain_len,
	       unsigned char **sealed, size_t *sealed_len)
{
	static const unsigned char empty[1];
	unsigned char dk[VAULT_KEY_BYTES];
	unsigned char *ad = NULL, *s = NULL;
	size_t ad_len = 0;
	int rc;

	*sealed = NULL;
	*sealed_len = 0;
	if (!v || !wrapped || !table || !column || (!plain && plain_len)) {
		rc = KD_EINVAL;
		goto done;
	}
	if (plain_len >
	    crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - HEADER_BYTES) {
		rc = KD_ETOOBIG;
		goto done;
	}
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, dk);
	if (rc)
		goto done;
	ad = seal_ad(table, column, row, &ad_len);
	s = kd_xmalloc(plain_len + VAULT_SEAL_OVERHEAD);
	s[0] = VAULT_VERSION;
	randombytes_buf(s + 1, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		s + HEADER_BYTES, NULL, plain ? plain : empty, plain_len, ad,
		ad_len, NULL, s + 1, dk);
	*sealed = s;
	*sealed_len = plain_len + VAULT_SEAL_OVERHEAD;
done:
	free(ad);
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

int vault_unseal(vault *v, int64_t owner_id, const unsigned char *wrapped,
		 size_t wrapped_len, const char *table, const char *column,
		 int64_t row, const unsigned char *sealed, size_t sealed_len,
		 char **plain, size_t *plain_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	unsigned char *ad = NULL, *p = NULL;
	size_t ad_len = 0, len = 0;
	int rc;

	*plain = NULL;
	*plain_len = 0;
	if (!v || !wrapped || !table || !column || !sealed) {
		rc = KD_EINVAL;
		goto done;
	}
	if (sealed_len < VAULT_SEAL_OVERHEAD || sealed[0] != VAULT_VERSION) {
		rc = KD_ECRYPTO;
		goto done;
	}
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, dk);
	if (rc)
		goto done;
	ad = seal_ad(table, column, row, &ad_len);
	len = sealed_len - VAULT_SEAL_OVERHEAD;
	p = kd_xmalloc(len + 1);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    p, NULL, NULL, sealed + HEADER_BYTES,
		    sealed_len - HEADER_BYTES, ad, ad_len, sealed + 1,
		    dk) != 0) {
		rc = KD_ECRYPTO;
		goto done;
	}
	p[len] = '\0';
	*plain = (char *)p;
	*plain_len = len;
	p = NULL;
done:
	/* libsodium writes nothing before the tag checks out; wipe anyway
	 * rather than lean on that. */
	if (p) {
		sodium_memzero(p, len + 1);
		free(p);
	}
	free(ad);
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

int vault_rewrap(const vault *from, const vault *to, int64_t owner_id,
		 const unsigned char *wrapped, size_t wrapped_len,
		 unsigned char **out, size_t *out_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!from || !to || !wrapped) {
		rc = KD_EINVAL;
		goto done;
	}
	rc = dk_unwrap(from, owner_id, wrapped, wrapped_len, dk);
	if (rc)
		goto done;
	dk_wrap(to, owner_id, dk, out, out_len);
done:
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

int vault_password_hash(const char *password, char out[VAULT_PWHASH_SIZE])
{
	int rc;

	if (!password) {
		rc = KD_EINVAL;
		goto done;
	}
	rc = vault_lib_init();
	if (rc)
		goto done;
	if (crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT,
				  PW_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		rc = KD_ENOMEM;
done:
	return rc;
}

int vault_password_verify(const char *hash, const char *password)
{
	int rc;

	if (!hash || !password) {
		rc = KD_EINVAL;
		goto done;
	}
	rc = vault_lib_init();
	if (rc)
		goto done;
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)
		rc = KD_EAUTH;
done:
	return rc;
}

int vault_password_needs_rehash(const char *hash)
{
	/* -1 means not Argon2id at all (or garbage): that too needs a new
	 * hash, which the caller can make once the password checks out. */
	if (!hash || vault_lib_init() != 0)
		return 1;
	return crypto_pwhash_argon2id_str_needs_rehash(hash, PW_OPSLIMIT,
						       PW_MEMLIMIT) != 0;
}

/* The password is random so that no one can ever log in through the
 * dummy; if hashing fails the dummy hash stays empty and verifying
 * against it is merely fast, never successful. */
static void dummy_start(void)
{
	unsigned char pw[16];
	char hex[2 * sizeof(pw) + 1];

	randombytes_buf(pw, sizeof(pw));
	sodium_bin2hex(hex, sizeof(hex), pw, sizeof(pw));
	if (vault_password_hash(hex, dummy_hash) != 0)
		dummy_hash[0] = '\0';
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hex, sizeof(hex));
}

void vault_password_dummy_verify(const char *password)
{
	int ignored;

	vault_lib_require();
	pthread_once(&dummy_once, dummy_start);
	if (!password)
		return;
	ignored = crypto_pwhash_str_verify(dummy_hash, password,
					   strlen(password));
	KD_UNUSED(ignored);
}

void vault_token_new(char out[VAULT_TOKEN_SIZE])
{
	unsigned char raw[32];

	_Static_assert(VAULT_TOKEN_SIZE ==
			       sodium_base64_ENCODED_LEN(
				       sizeof(raw),
				       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
		       "token size");
	vault_lib_require();
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, VAULT_TOKEN_SIZE, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/*
 * A plain, unkeyed, unsalted hash is enough: a token carries 256 random
 * bits, so nobody can guess one from its digest, and a stolen table of
 * digests is no help.  Passwords need Argon2 because people choose them;
 * tokens do not.  It also keeps lookups by digest a single index probe.
 */
void vault_token_hash(const char *token,
		      unsigned char out[VAULT_TOKEN_HASH_BYTES])
{
	vault_lib_require();
	crypto_generichash(out, VAULT_TOKEN_HASH_BYTES,
			   (const unsigned char *)token, strlen(token), NULL, 0);
}

int vault_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void vault_random(void *out, size_t n)
{
	vault_lib_require();
	randombytes_buf(out, n);
}
