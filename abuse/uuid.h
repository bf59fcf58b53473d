/*
 * uuid.h - RFC 9562 UUIDs for report ids (version 4, random) and STIX ids
 * (version 5, a name in a namespace, so that the same input always gives
 * the same id).
 */
#ifndef BPH_ABUSE_UUID_H
#define BPH_ABUSE_UUID_H

/* Text form with its NUL: 36 + 1 bytes. */
#define BPH_UUID_STRLEN 37

/* A random (version 4) UUID from OpenSSL's CSPRNG into out. Returns 0 or
 * BPH_ERR_CRYPTO. */
int bph_uuid4(char *out);

/* The version-5 UUID of name in namespace ns (16 bytes) into out.
 * Returns 0 or BPH_ERR_CRYPTO. */
int bph_uuid5(const unsigned char ns[16], const char *name, char *out);

/* bphound's namespace for the ids of the objects it makes up:
 * uuid5(NAMESPACE_URL, "https://github.com/bphound/bphound#stix"), the
 * one cluster/export_stix.c uses. */
extern const unsigned char bph_uuid_ns_bphound[16];

#endif
