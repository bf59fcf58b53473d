/*
 * contacts.h - what a report needs to know about an address from the
 * registry and routing data: its abuse mailbox and how it was found, the
 * upstreams of its origin AS with theirs, and the public list entries
 * covering it.
 *
 * abuse/ asks through struct bph_abuse_lookup, a table of callbacks, so
 * the reports do not depend on where the data lives: the CLI passes one
 * backed by the data store (abuse/lookup_ranges.c), the unit tests one
 * backed by fixtures. Strings in these structs come from the user's data
 * files and ultimately from registries: writers treat them as untrusted
 * (abuse/mime.h checks a mailbox before it reaches a header).
 */
#ifndef BPH_ABUSE_CONTACTS_H
#define BPH_ABUSE_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An abuse mailbox and how it was found. */
struct bph_abuse_contact {
	char mailbox[256];  /* "" when none was found */
	char how[512];	    /* e.g. "abuse-c EXAB1-RIPE (role) of inetnum
			       198.18.10.0 - 198.18.10.255" */
	char resource[128]; /* the object it was found from, e.g. "inetnum
			       198.18.10.0 - 198.18.10.255" or "AS64510" */
	char holder[128];   /* its netname or organisation name; may be "" */
};

/* A provider of the origin AS (CAIDA as-rel: provider|customer|-1). */
struct bph_abuse_upstream {
	uint32_t asn;
	uint32_t customer; /* the origin AS it provides transit to */
	char name[128];	   /* AS name; may be "" */
	bool asndrop;	   /* listed on Spamhaus ASN-DROP */
	struct bph_abuse_contact contact;
};

/* A public list's entry covering an address. */
struct bph_abuse_listing {
	char list[64];	   /* the list's name as loaded, e.g. "drop" */
	char entry[96];	   /* the list's entry, e.g. "198.18.10.0/24" */
	char id[64];	   /* e.g. "SBL000001"; may be "" */
	char date[32];	   /* the list's date, YYYY-MM-DD; may be "" */
	char licence[256]; /* the list's licence or terms; may be "" */
	bool restricted;   /* non-commercial or share-alike licence */
};

/*
 * The lookups. Each callback returns 0 when it found something,
 * BPH_ERR_USAGE when the address is unknown to the data (not an error for
 * the caller), or another negative BPH_ERR_*. Arrays are new (the caller
 * frees them with free()). Any callback may be NULL: that data is not
 * available.
 */
struct bph_abuse_lookup {
	void *ctx;
	/* ip's abuse contact, found the RIPE way: the most specific
	 * inetnum's abuse-c, then its organisation's, then each parent's. */
	int (*contact)(void *ctx, const char *ip,
		       struct bph_abuse_contact *out);
	/* the providers of ip's origin AS(es), with their contacts. */
	int (*upstreams)(void *ctx, const char *ip,
			 struct bph_abuse_upstream **out, size_t *n);
	/* the list entries covering ip. */
	int (*listings)(void *ctx, const char *ip,
			struct bph_abuse_listing **out, size_t *n);
};

#endif
