/*
 * vault.h: the one place in kindred that touches secrets — the master
 * key, each person's data key, sealed free text, password hashes and
 * session/reset tokens.  Everything above this layer handles only
 * wrapped keys, sealed blobs, hashes and token digests.
 *
 * Key hierarchy: a 32-byte master key (environment or key file) wraps a
 * random 32-byte data key per person; a data key seals that person's
 * free text, each value bound to the (table, column, row) it lives in so
 * a sealed value copied to another row or person does not open.
 * Deleting a person's wrapped data key shreds everything sealed under it.
 *
 * Master keys form a keyring: the current key wraps new data keys, up to
 * VAULT_MAX_KEYS - 1 previous keys still open what they wrapped while
 * `kindred rekey` re-wraps every data key under the current one.  A
 * wrapped key carries the id of the master key that wrapped it; a vault
 * opened from a key file reads the file again when it meets an id it
 * does not know, and before it wraps a new key if the file changed.
 *
 * Thread safety: every function may be called from many threads at
 * once, on the same vault too; the keyring is replaced under a lock when
 * the key file changes.  Only vault_close() must not race with other use
 * of the same vault.
 *
 * Errors are the KD_E* codes of kd.h.  Memory handed back through an
 * out-parameter is malloc'd and the caller's to free(); it never holds
 * key material.
 */
#ifndef KD_VAULT_H
#define KD_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_KEY_BYTES 32
/* Master keys a vault holds at most: the current one and previous ones. */
#define VAULT_MAX_KEYS 4
/* A wrapped data key: version byte, 8-byte master key id, 24-byte nonce,
 * 32-byte key, 16-byte tag.  (Version 1, 73 bytes without the id, is
 * still read.) */
#define VAULT_WRAPPED_LEN 81
/* A master key's id in hex, NUL included. */
#define VAULT_KEY_ID_SIZE 17
/* A sealed value is this many bytes longer than its plaintext. */
#define VAULT_SEAL_OVERHEAD 41
/* A password hash string, NUL included (crypto_pwhash_STRBYTES). */
#define VAULT_PWHASH_SIZE 128
/* A token: 43 base64url characters and the NUL. */
#define VAULT_TOKEN_SIZE 44
#define VAULT_TOKEN_HASH_BYTES 32

typedef struct vault vault;

/*
 * Opens the vault with the master keys from the environment variable
 * KINDRED_MASTER_KEY (64 hex characters; several keys separated by
 * commas, the current first) if it is set, else from keyfile_path (one
 * key of 64 hex characters per line, the current first, at most
 * VAULT_MAX_KEYS; the last newline optional).  A missing key file is
 * created with mode 0600 and a fresh random key.  Only a vault opened
 * from a file follows changes to it.
 *
 * Returns 0 and a vault in *out that the caller releases with
 * vault_close(); on failure *out is NULL and the result is KD_ECONFIG
 * (malformed key, or a key file that group or others may access),
 * KD_EINVAL (no environment key and no path), KD_EIO (the file could
 * not be read or created) or KD_ECRYPTO (libsodium would not start).
 * Prints nothing; reporting is the caller's job.
 */
int vault_open(const char *keyfile_path, vault **out);

/*
 * Opens a vault over the given raw master key (copied; the caller
 * should wipe its own copy).  For key rotation and tests.  Returns 0 and
 * a vault in *out for vault_close(), or KD_ECRYPTO/KD_ENOMEM.
 */
int vault_open_key(const unsigned char key[VAULT_KEY_BYTES], vault **out);

/* Wipes the master key and frees v.  NULL is a no-op. */
void vault_close(vault *v);

/*
 * Makes a new random data key for owner_id and returns it wrapped under
 * the master key (VAULT_WRAPPED_LEN bytes) in *wrapped, malloc'd, the
 * caller's to free().  The wrapping is bound to owner_id: it unwraps for
 * no other owner.  The raw data key never leaves the vault.
 */
int vault_key_new(vault *v, int64_t owner_id, unsigned char **wrapped,
		  size_t *wrapped_len);

/*
 * Seals plain_len bytes of plain (NULL allowed when plain_len is 0)
 * under owner_id's data key, bound to table, column and row.  Returns 0
 * and plain_len + VAULT_SEAL_OVERHEAD bytes in *sealed, malloc'd, the
 * caller's to free(); KD_ECRYPTO if the wrapped key does not unwrap for
 * this owner, KD_ETOOBIG if the plaintext is too long, KD_EINVAL on
 * missing arguments.
 */
int vault_seal(vault *v, int64_t owner_id, const unsigned char *wrapped,
	       size_t wrapped_len, const char *table, const char *column,
	       int64_t row, const void *plain, size_t plain_len,
	       unsigned char **sealed, size_t *sealed_len);

/*
 * Opens what vault_seal() sealed.  Returns 0 and the plaintext in
 * *plain, malloc'd and NUL-terminated (the NUL not counted in
 * *plain_len), the caller's to free() — and, being a person's free text,
 * to wipe when it is sensitive.  Returns KD_ECRYPTO, with *plain NULL,
 * when anything does not match: a changed byte, another table, column,
 * row or owner, another master key.
 */
int vault_unseal(vault *v, int64_t owner_id, const unsigned char *wrapped,
		 size_t wrapped_len, const char *table, const char *column,
		 int64_t row, const unsigned char *sealed, size_t sealed_len,
		 char **plain, size_t *plain_len);

/*
 * One person's data key, unwrapped once for a run of vault_dk_unseal()
 * (a listing of their notes): unwrapping per value cost as much as the
 * values themselves.  Only the vault reads its fields.  It lives on the
 * caller's stack for the run and vault_dk_close() wipes it.
 */
typedef struct vault_dk {
	unsigned char key[VAULT_KEY_BYTES];
	int open;
} vault_dk;

/* KD_ECRYPTO if the wrapped key does not unwrap for this owner. */
int vault_dk_open(vault *v, int64_t owner_id, const unsigned char *wrapped,
		  size_t wrapped_len, vault_dk *out);
/* As vault_unseal(), with the key already open. */
int vault_dk_unseal(const vault_dk *k, const char *table, const char *column, int64_t row,
		    const unsigned char *sealed, size_t sealed_len, char **plain,
		    size_t *plain_len);
void vault_dk_close(vault_dk *k);

/*
 * Unwraps owner_id's data key with `from` and wraps the same key with
 * `to`'s current key, so sealed values stay as they are.  Returns 0 and
 * the new wrapping in *out (malloc'd, the caller's to free()), or
 * KD_ECRYPTO if `wrapped` does not unwrap under `from`.
 */
int vault_rewrap(vault *from, vault *to, int64_t owner_id,
		 const unsigned char *wrapped, size_t wrapped_len,
		 unsigned char **out, size_t *out_len);

/*
 * For master-key rotation.  vault_key_check() returns 1 if wrapped is
 * wrapped under v's current key, 0 if under a previous key v holds,
 * KD_ECRYPTO if it does not unwrap with any.  vault_key_update() wraps
 * the data key again under the current key: 0 and *out (malloc'd, the
 * caller's) or KD_ECRYPTO.
 */
int vault_key_check(vault *v, int64_t owner_id, const unsigned char *wrapped,
		    size_t wrapped_len);
int vault_key_update(vault *v, int64_t owner_id, const unsigned char *wrapped,
		     size_t wrapped_len, unsigned char **out, size_t *out_len);

/* The number of master keys v holds (the current one included). */
int vault_key_count(vault *v);
/* The id of v's key number which (0: the current one) in hex, or "" if
 * there is none; and the id a wrapped key names ("unnamed" for the
 * version without one).  out is the caller's. */
void vault_key_id(vault *v, int which, char out[VAULT_KEY_ID_SIZE]);
void vault_wrapped_id(const unsigned char *wrapped, size_t wrapped_len,
		      char out[VAULT_KEY_ID_SIZE]);

/*
 * The key file during a rotation.  vault_keyfile_rotate() puts a fresh
 * random key in front of the one key in the file (which stays, as the
 * previous key) and sets *started; when the file already holds more
 * than one key, a rotation is under way and it changes nothing.
 * vault_keyfile_retire() keeps only the current key.  Both replace the
 * file atomically (PATH.new, then rename; KD_EEXIST if PATH.new exists:
 * another rotation runs, or one stopped half-way and left it to remove).
 */
int vault_keyfile_rotate(const char *path, int *started);
int vault_keyfile_retire(const char *path);

/*
 * Hashes password with Argon2id (interactive limits: about 64 MiB and
 * a tenth of a second per call, so callers should bound how many run at
 * once).  Writes a NUL-terminated string into out, owned by the caller.
 * Returns 0, KD_EINVAL, or KD_ENOMEM when Argon2's memory is refused.
 */
int vault_password_hash(const char *password, char out[VAULT_PWHASH_SIZE]);

/* Returns 0 if password matches hash, else KD_EAUTH (also for a
 * malformed hash); KD_EINVAL for NULL arguments. */
int vault_password_verify(const char *hash, const char *password);

/* Returns 1 if hash was made with other than the current algorithm or
 * limits (or is malformed), so the caller should rehash after the next
 * successful login; 0 otherwise. */
int vault_password_needs_rehash(const char *hash);

/* Verifies password against a fixed hash and discards the result, so a
 * login for an unknown username costs what a known one does. */
void vault_password_dummy_verify(const char *password);

/* Writes a new token (32 random bytes, unpadded base64url: 43
 * characters and a NUL) into out, owned by the caller. */
void vault_token_new(char out[VAULT_TOKEN_SIZE]);

/* Writes the 32-byte digest of token that is stored in place of the
 * token itself into out, owned by the caller. */
void vault_token_hash(const char *token,
		      unsigned char out[VAULT_TOKEN_HASH_BYTES]);

/* Compares n bytes in constant time; returns 1 if equal, 0 if not. */
int vault_equal(const void *a, const void *b, size_t n);

/* Fills out with n bytes from the system's secure random source. */
void vault_random(void *out, size_t n);

#endif
