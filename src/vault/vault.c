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
 *   wrapped data key  2 || key id[8] || nonce[24] || XChaCha20-Poly1305(dk)
 *                     (81 bytes); AD "kindred-dk\0" || owner_id (8 bytes,
 *                     big-endian) || key id
 *                     version 1 (73 bytes, no key id) is still read
 *   sealed value      1 || nonce[24] || XChaCha20-Poly1305(plain)
 *                     AD table "\0" column "\0" row (8 bytes, big-endian)
 * Random 24-byte nonces are safe to draw without coordination between
 * threads or processes; that is why XChaCha20 and not ChaCha20.
 *
 * The keyring.  A vault holds up to VAULT_MAX_KEYS master keys: the
 * first is current (it wraps every new data key), the others are
 * previous keys kept while `kindred rekey` re-wraps the data keys.  A
 * key's id is a keyed hash of it, so a wrapped key names the master key
 * that opens it without saying anything about it.  When a wrapped key
 * names a key the vault does not hold, or before it wraps a new key, a
 * vault opened from a key file looks whether the file changed (one
 * fstatat) and reads it again if so: a server picks up a rotation
 * without a restart, and never wraps under a key that is being retired.
 * The ring is read under a read lock, taken once per seal or unseal and
 * never contended but for the moment of a reload.
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
#define WRAP_VERSION 2
#define KEY_ID_BYTES 8
#define WRAP_V1_LEN (1 + NONCE_BYTES + VAULT_KEY_BYTES + TAG_BYTES)
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEADER_BYTES (1 + NONCE_BYTES)
#define WRAP_HEADER_BYTES (1 + KEY_ID_BYTES + NONCE_BYTES)
#define KEY_HEX_LEN (2 * VAULT_KEY_BYTES)
#define ENV_KEY "KINDRED_MASTER_KEY"

/* "kindred-dk" with its NUL, the owner id, and (version 2) the key id. */
#define DK_AD_PREFIX "kindred-dk"
#define DK_AD_LEN (sizeof(DK_AD_PREFIX) + 8 + KEY_ID_BYTES)
/* Room for a key file of VAULT_MAX_KEYS lines, and a byte to notice more. */
#define KEYFILE_MAX (VAULT_MAX_KEYS * (KEY_HEX_LEN + 1) + 1)

#define PW_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE

_Static_assert(VAULT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "master and data keys are AEAD keys");
_Static_assert(VAULT_WRAPPED_LEN == WRAP_HEADER_BYTES + VAULT_KEY_BYTES + TAG_BYTES,
	       "wrapped key length");
_Static_assert(2 * KEY_ID_BYTES + 1 == VAULT_KEY_ID_SIZE, "key id size");
_Static_assert(VAULT_SEAL_OVERHEAD == HEADER_BYTES + TAG_BYTES,
	       "seal overhead");
_Static_assert(VAULT_PWHASH_SIZE == crypto_pwhash_STRBYTES,
	       "password hash size");
_Static_assert(VAULT_TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
		       VAULT_TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX,
	       "token hash size");

/* The keys themselves: sodium_malloc'd (guard pages, locked, wiped on
 * free), only bytes, so its end-of-page placement cannot misalign them. */
typedef struct ring {
	unsigned char key[VAULT_MAX_KEYS][VAULT_KEY_BYTES];
	unsigned char id[VAULT_MAX_KEYS][KEY_ID_BYTES];
} ring;

struct vault {
	pthread_rwlock_t lock;  /* readers use r; a reload replaces it */
	pthread_mutex_t reload; /* one look at the key file at a time */
	ring *r;
	int n;      /* keys in r; r->key[0] is current */
	char *path; /* the key file, when the keys came from one */
	struct stat seen; /* the file as last read */
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

static void key_id_of(const unsigned char key[VAULT_KEY_BYTES], unsigned char id[KEY_ID_BYTES])
{
	static const char what[] = "kindred-master-key-id";

	crypto_generichash(id, KEY_ID_BYTES, (const unsigned char *)what, sizeof(what) - 1, key,
			   VAULT_KEY_BYTES);
}

static int vault_alloc(vault **out)
{
	vault *v = NULL;
	int rc = 0;

	*out = NULL;
	rc = vault_lib_init();
	if (rc)
		goto done;
	v = kd_xcalloc(1, sizeof(*v));
	v->r = sodium_malloc(sizeof(*v->r));
	if (!v->r) {
		free(v);
		rc = KD_ENOMEM;
		goto done;
	}
	pthread_rwlock_init(&v->lock, NULL);
	pthread_mutex_init(&v->reload, NULL);
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
 * Parses a keyring: keys of 64 hex digits separated by sep (a newline in
 * a key file, a comma in the environment), the current key first, at
 * most VAULT_MAX_KEYS, one trailing separator allowed after the last
 * only when sep is a newline.  Fills r and *n; KD_ECONFIG otherwise.
 */
static int ring_parse(const char *text, size_t len, char sep, ring *r, int *n)
{
	const char *p = text, *end = text + len, *e;
	int i;

	*n = 0;
	if (sep == '\n' && len > 0 && text[len - 1] == '\n')
		end--;
	for (;;) {
		if (*n == VAULT_MAX_KEYS)
			return KD_ECONFIG;
		e = memchr(p, sep, (size_t)(end - p));
		if (!e)
			e = end;
		if (key_from_hex(p, (size_t)(e - p), r->key[*n]) != 0)
			return KD_ECONFIG;
		key_id_of(r->key[*n], r->id[*n]);
		for (i = 0; i < *n; i++)
			if (memcmp(r->id[i], r->id[*n], KEY_ID_BYTES) == 0)
				return KD_ECONFIG; /* the same key twice */
		(*n)++;
		if (e == end)
			return 0;
		p = e + 1;
	}
}

/*
 * Reads an existing key file into r.  The mode is checked on the opened
 * file (fstat, not stat) so the file judged is the file read; *st gets
 * what was judged, so a later look can tell whether the file changed.
 * Returns KD_ENOTFOUND if there is no file, so the caller may create one.
 */
static int key_read(const char *path, ring *r, int *n, struct stat *st)
{
	char text[KEYFILE_MAX];
	size_t len = 0;
	ssize_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = errno == ENOENT ? KD_ENOTFOUND : KD_EIO;
		goto done;
	}
	if (fstat(fd, st) != 0) {
		rc = KD_EIO;
		goto done;
	}
	if (!S_ISREG(st->st_mode) || (st->st_mode & (S_IRWXG | S_IRWXO))) {
		rc = KD_ECONFIG;
		goto done;
	}
	while (len < sizeof(text)) {
		got = read(fd, text + len, sizeof(text) - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = KD_EIO;
			goto done;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	rc = len < sizeof(text) ? ring_parse(text, len, '\n', r, n) : KD_ECONFIG;
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
 * Writes the n keys of r to path, one line each, through O_EXCL: a new
 * file is never created over another, and a planted symlink is not
 * followed.  KD_EEXIST tells the caller the name was taken.  A
 * half-written file is removed so that it is not mistaken for keys.
 */
static int ring_write(const char *path, const ring *r, int n)
{
	char text[KEYFILE_MAX];
	size_t len = 0;
	int fd, i, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? KD_EEXIST : KD_EIO;
		goto done;
	}
	for (i = 0; i < n; i++) {
		sodium_bin2hex(text + len, KEY_HEX_LEN + 1, r->key[i], VAULT_KEY_BYTES);
		len += KEY_HEX_LEN;
		text[len++] = '\n';
	}
	rc = write_all(fd, text, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = KD_EIO;
	if (close(fd) != 0 && rc == 0)
		rc = KD_EIO;
	if (rc)
		unlink(path);
done:
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* Creates the key file with one fresh key (first start). */
static int key_create(const char *path, ring *r, int *n)
{
	int rc;

	randombytes_buf(r->key[0], VAULT_KEY_BYTES);
	key_id_of(r->key[0], r->id[0]);
	*n = 1;
	rc = ring_write(path, r, 1);
	if (rc == 0 && (rc = sync_parent_dir(path)) != 0)
		unlink(path);
	return rc;
}

static int key_from_file(const char *path, ring *r, int *n, struct stat *st)
{
	int rc;

	rc = key_read(path, r, n, st);
	if (rc == KD_ENOTFOUND) {
		rc = key_create(path, r, n);
		if (rc == KD_EEXIST)
			rc = key_read(path, r, n, st);
		else if (rc == 0 && stat(path, st) != 0)
			rc = KD_EIO;
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
	if (env) {
		rc = ring_parse(env, strlen(env), ',', v->r, &v->n);
	} else if (keyfile_path) {
		rc = key_from_file(keyfile_path, v->r, &v->n, &v->seen);
		if (rc == 0)
			v->path = kd_xstrdup(keyfile_path);
	} else {
		rc = KD_EINVAL;
	}
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
	memcpy(v->r->key[0], key, VAULT_KEY_BYTES);
	key_id_of(v->r->key[0], v->r->id[0]);
	v->n = 1;
	*out = v;
done:
	return rc;
}

void vault_close(vault *v)
{
	if (!v)
		return;
	sodium_free(v->r); /* wipes it */
	pthread_rwlock_destroy(&v->lock);
	pthread_mutex_destroy(&v->reload);
	free(v->path);
	free(v);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Reads the key file again if it changed since it was read (`kindred
 * rekey` replaces it by rename).  A file that no longer reads is left
 * alone and the keys in memory stay: a server keeps serving on the keys
 * it has rather than stop on an operator's half-edited file.
 */
static void ring_refresh(vault *v)
{
	ring *fresh = NULL;
	struct stat st;
	int n = 0;

	if (!v->path)
		return;
	pthread_mutex_lock(&v->reload);
	if (stat(v->path, &st) != 0 || same_file(&st, &v->seen))
		goto done;
	if (!(fresh = sodium_malloc(sizeof(*fresh))))
		goto done;
	if (key_read(v->path, fresh, &n, &st) != 0)
		goto done;
	pthread_rwlock_wrlock(&v->lock);
	memcpy(v->r, fresh, sizeof(*fresh));
	v->n = n;
	v->seen = st;
	pthread_rwlock_unlock(&v->lock);
done:
	sodium_free(fresh);
	pthread_mutex_unlock(&v->reload);
}

static void dk_ad(int64_t owner_id, const unsigned char *id, unsigned char ad[DK_AD_LEN],
		  size_t *len)
{
	memcpy(ad, DK_AD_PREFIX, sizeof(DK_AD_PREFIX));
	put_be64(ad + sizeof(DK_AD_PREFIX), owner_id);
	*len = sizeof(DK_AD_PREFIX) + 8;
	if (id) {
		memcpy(ad + *len, id, KEY_ID_BYTES);
		*len += KEY_ID_BYTES;
	}
}

/* Wraps dk under v's current key; the caller holds v->lock. */
static void dk_wrap(const vault *v, int64_t owner_id, const unsigned char dk[VAULT_KEY_BYTES],
		    unsigned char **out, size_t *out_len)
{
	unsigned char ad[DK_AD_LEN];
	unsigned char *w = kd_xmalloc(VAULT_WRAPPED_LEN);
	size_t ad_len;

	w[0] = WRAP_VERSION;
	memcpy(w + 1, v->r->id[0], KEY_ID_BYTES);
	randombytes_buf(w + 1 + KEY_ID_BYTES, NONCE_BYTES);
	dk_ad(owner_id, v->r->id[0], ad, &ad_len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(w + WRAP_HEADER_BYTES, NULL, dk,
						   VAULT_KEY_BYTES, ad, ad_len, NULL,
						   w + 1 + KEY_ID_BYTES, v->r->key[0]);
	*out = w;
	*out_len = VAULT_WRAPPED_LEN;
}

/*
 * Unwraps with the keys v holds; the caller holds v->lock and wipes dk
 * whatever this returns.  *slot gets the index of the key that opened
 * it.  KD_ENOTFOUND: a version 2 key wrapped under a master key v does
 * not hold (a reload may help); KD_ECRYPTO: anything else that fails.
 */
static int dk_unwrap_held(const vault *v, int64_t owner_id, const unsigned char *wrapped,
			  size_t wrapped_len, unsigned char dk[VAULT_KEY_BYTES], int *slot)
{
	unsigned char ad[DK_AD_LEN];
	size_t ad_len;
	int i;

	if (wrapped_len == VAULT_WRAPPED_LEN && wrapped[0] == WRAP_VERSION) {
		for (i = 0; i < v->n; i++)
			if (sodium_memcmp(v->r->id[i], wrapped + 1, KEY_ID_BYTES) == 0)
				break;
		if (i == v->n)
			return KD_ENOTFOUND;
		dk_ad(owner_id, v->r->id[i], ad, &ad_len);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    dk, NULL, NULL, wrapped + WRAP_HEADER_BYTES,
			    VAULT_WRAPPED_LEN - WRAP_HEADER_BYTES, ad, ad_len,
			    wrapped + 1 + KEY_ID_BYTES, v->r->key[i]) != 0)
			return KD_ECRYPTO;
		*slot = i;
		return 0;
	}
	/* Version 1 names no key: try each. */
	if (wrapped_len != WRAP_V1_LEN || wrapped[0] != VAULT_VERSION)
		return KD_ECRYPTO;
	dk_ad(owner_id, NULL, ad, &ad_len);
	for (i = 0; i < v->n; i++) {
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    dk, NULL, NULL, wrapped + HEADER_BYTES, WRAP_V1_LEN - HEADER_BYTES, ad,
			    ad_len, wrapped + 1, v->r->key[i]) == 0) {
			*slot = i;
			return 0;
		}
	}
	return KD_ECRYPTO;
}

/* Unwraps, reading the key file again once if the wrapped key names a
 * master key v does not hold yet (a rotation has begun).  With rewrap,
 * also wraps the key again under the current key into *out. */
static int dk_unwrap(vault *v, int64_t owner_id, const unsigned char *wrapped,
		     size_t wrapped_len, unsigned char dk[VAULT_KEY_BYTES], int *slot,
		     unsigned char **out, size_t *out_len)
{
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if (tries)
			ring_refresh(v);
		pthread_rwlock_rdlock(&v->lock);
		rc = dk_unwrap_held(v, owner_id, wrapped, wrapped_len, dk, slot);
		if (rc == 0 && out)
			dk_wrap(v, owner_id, dk, out, out_len);
		pthread_rwlock_unlock(&v->lock);
		if (rc != KD_ENOTFOUND)
			break;
	}
	return rc == KD_ENOTFOUND ? KD_ECRYPTO : rc;
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
	/* Never wrap a new key under a master key a rotation is retiring. */
	ring_refresh(v);
	randombytes_buf(dk, sizeof(dk));
	pthread_rwlock_rdlock(&v->lock);
	dk_wrap(v, owner_id, dk, wrapped, wrapped_len);
	pthread_rwlock_unlock(&v->lock);
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
	int rc, slot;

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
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, dk, &slot, NULL, NULL);
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

int vault_dk_open(vault *v, int64_t owner_id, const unsigned char *wrapped,
		  size_t wrapped_len, vault_dk *out)
{
	int slot, rc;

	memset(out, 0, sizeof(*out));
	if (!v || !wrapped)
		return KD_EINVAL;
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, out->key, &slot, NULL, NULL);
	if (rc == 0)
		out->open = 1;
	else
		sodium_memzero(out->key, sizeof(out->key));
	return rc;
}

void vault_dk_close(vault_dk *k)
{
	sodium_memzero(k, sizeof(*k));
}

int vault_dk_unseal(const vault_dk *k, const char *table, const char *column, int64_t row,
		    const unsigned char *sealed, size_t sealed_len, char **plain,
		    size_t *plain_len)
{
	unsigned char *ad = NULL, *p = NULL;
	size_t ad_len = 0, len = 0;
	int rc = 0;

	*plain = NULL;
	*plain_len = 0;
	if (!k->open || !table || !column || !sealed)
		return KD_EINVAL;
	if (sealed_len < VAULT_SEAL_OVERHEAD || sealed[0] != VAULT_VERSION)
		return KD_ECRYPTO;
	ad = seal_ad(table, column, row, &ad_len);
	len = sealed_len - VAULT_SEAL_OVERHEAD;
	p = kd_xmalloc(len + 1);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    p, NULL, NULL, sealed + HEADER_BYTES,
		    sealed_len - HEADER_BYTES, ad, ad_len, sealed + 1,
		    k->key) != 0) {
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
	return rc;
}

int vault_unseal(vault *v, int64_t owner_id, const unsigned char *wrapped,
		 size_t wrapped_len, const char *table, const char *column,
		 int64_t row, const unsigned char *sealed, size_t sealed_len,
		 char **plain, size_t *plain_len)
{
	vault_dk k;
	int rc;

	*plain = NULL;
	*plain_len = 0;
	if (!v || !wrapped || !table || !column || !sealed)
		return KD_EINVAL;
	/* Checked before the key is unwrapped, as ever: a malformed value
	 * costs no key. */
	if (sealed_len < VAULT_SEAL_OVERHEAD || sealed[0] != VAULT_VERSION)
		return KD_ECRYPTO;
	if ((rc = vault_dk_open(v, owner_id, wrapped, wrapped_len, &k)) != 0)
		return rc;
	rc = vault_dk_unseal(&k, table, column, row, sealed, sealed_len, plain, plain_len);
	vault_dk_close(&k);
	return rc;
}

int vault_rewrap(vault *from, vault *to, int64_t owner_id, const unsigned char *wrapped,
		 size_t wrapped_len, unsigned char **out, size_t *out_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	int rc, slot;

	*out = NULL;
	*out_len = 0;
	if (!from || !to || !wrapped) {
		rc = KD_EINVAL;
		goto done;
	}
	rc = dk_unwrap(from, owner_id, wrapped, wrapped_len, dk, &slot, NULL, NULL);
	if (rc)
		goto done;
	pthread_rwlock_rdlock(&to->lock);
	dk_wrap(to, owner_id, dk, out, out_len);
	pthread_rwlock_unlock(&to->lock);
done:
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

int vault_key_check(vault *v, int64_t owner_id, const unsigned char *wrapped,
		    size_t wrapped_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	int rc, slot = 0;

	if (!v || !wrapped)
		return KD_EINVAL;
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, dk, &slot, NULL, NULL);
	sodium_memzero(dk, sizeof(dk));
	if (rc)
		return rc;
	return slot == 0 && wrapped[0] == WRAP_VERSION ? 1 : 0;
}

int vault_key_update(vault *v, int64_t owner_id, const unsigned char *wrapped,
		     size_t wrapped_len, unsigned char **out, size_t *out_len)
{
	unsigned char dk[VAULT_KEY_BYTES];
	int rc, slot;

	*out = NULL;
	*out_len = 0;
	if (!v || !wrapped)
		return KD_EINVAL;
	rc = dk_unwrap(v, owner_id, wrapped, wrapped_len, dk, &slot, out, out_len);
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

int vault_key_count(vault *v)
{
	int n;

	pthread_rwlock_rdlock(&v->lock);
	n = v->n;
	pthread_rwlock_unlock(&v->lock);
	return n;
}

void vault_key_id(vault *v, int which, char out[VAULT_KEY_ID_SIZE])
{
	pthread_rwlock_rdlock(&v->lock);
	if (which >= 0 && which < v->n)
		sodium_bin2hex(out, VAULT_KEY_ID_SIZE, v->r->id[which], KEY_ID_BYTES);
	else
		out[0] = '\0';
	pthread_rwlock_unlock(&v->lock);
}

void vault_wrapped_id(const unsigned char *wrapped, size_t wrapped_len,
		      char out[VAULT_KEY_ID_SIZE])
{
	if (wrapped && wrapped_len == VAULT_WRAPPED_LEN && wrapped[0] == WRAP_VERSION)
		sodium_bin2hex(out, VAULT_KEY_ID_SIZE, wrapped + 1, KEY_ID_BYTES);
	else
		snprintf(out, VAULT_KEY_ID_SIZE, "%s", "unnamed");
}

/* Replaces path with the n keys of r: a new file beside it, synced, then
 * renamed over it, so a reader sees the old file or the new, never half
 * of one. */
static int ring_replace(const char *path, const ring *r, int n)
{
	char *tmp = NULL;
	size_t len = strlen(path) + 5;
	int rc;

	tmp = kd_xmalloc(len);
	snprintf(tmp, len, "%s.new", path);
	rc = ring_write(tmp, r, n);
	if (rc == KD_EEXIST)
		goto done; /* another rekey, or one that stopped half-way */
	if (rc == 0 && rename(tmp, path) != 0) {
		unlink(tmp);
		rc = KD_EIO;
	}
	if (rc == 0)
		rc = sync_parent_dir(path);
done:
	free(tmp);
	return rc;
}

/* Reads the key file and, with rotate, puts a fresh key in front of its
 * one key (a file of several is a rotation under way, left as it is);
 * without, keeps only its current key. */
static int keyfile_edit(const char *path, int rotate, int *started)
{
	ring *r = NULL;
	struct stat st;
	int n = 0, rc;

	*started = 0;
	if ((rc = vault_lib_init()) != 0)
		return rc;
	if (!(r = sodium_malloc(sizeof(*r))))
		return KD_ENOMEM;
	if ((rc = key_read(path, r, &n, &st)) != 0 || (rotate && n > 1) || (!rotate && n == 1))
		goto done;
	if (rotate) {
		memcpy(r->key[1], r->key[0], VAULT_KEY_BYTES);
		memcpy(r->id[1], r->id[0], KEY_ID_BYTES);
		randombytes_buf(r->key[0], VAULT_KEY_BYTES);
		key_id_of(r->key[0], r->id[0]);
	}
	if ((rc = ring_replace(path, r, rotate ? 2 : 1)) == 0)
		*started = rotate;
done:
	sodium_free(r);
	return rc;
}

int vault_keyfile_rotate(const char *path, int *started)
{
	return keyfile_edit(path, 1, started);
}

int vault_keyfile_retire(const char *path)
{
	int ignored;

	return keyfile_edit(path, 0, &ignored);
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
