/*
 * watch.h - artifact and address watchlists: bphound's YAML watch files
 * and Zeek intelligence files (docs/guide.md "Watchlists"), validated
 * strictly (an error names file:line:column, or file:line for Zeek), and
 * matched against service records.
 *
 * YAML:
 *   version: 1
 *   source: case-2026-114          # required: where the entries come from
 *   entries:
 *     - {kind: ssh_hostkey, value: "SHA256:...", severity: high,
 *        expires: 2027-06-30, desc: "provider A panel key"}
 * Zeek (tab-separated, the intel framework's input format):
 *   #fields<TAB>indicator<TAB>indicator_type<TAB>meta.source[<TAB>meta.desc...]
 *   198.18.10.10<TAB>Intel::ADDR<TAB>case-1
 * Zeek types map to kinds: ADDR -> ip, SUBNET -> cidr, CERT_HASH ->
 * cert_sha1 (SHA-1 of the certificate), PUBKEY_HASH -> ssh_hostkey_md5
 * (colon-separated MD5 of the host key); any other type is an error.
 *
 * Default severities: high for keys and certificates, low for the weak
 * kinds (jarm, ja3s, hassh, tcp_sig: software builds, shared by
 * unrelated hosts), medium for the rest.
 */
#ifndef BPH_SWEEP_WATCH_H
#define BPH_SWEEP_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fingerprints/record.h"
#include "sweep/event.h"

enum bph_watch_kind {
	BPH_WK_SSH_HOSTKEY = 0, /* "SHA256:<base64>" */
	BPH_WK_SSH_HOSTKEY_MD5, /* "aa:bb:..." (16 bytes) */
	BPH_WK_CERT_SHA256,
	BPH_WK_CERT_SHA1,
	BPH_WK_SPKI_SHA256,
	BPH_WK_JARM,
	BPH_WK_JA3S,
	BPH_WK_HASSH,
	BPH_WK_TCP_SIG,
	BPH_WK_FAVICON_MMH3,
	BPH_WK_BODY_SHA256,
	BPH_WK_TITLE,
	BPH_WK_SERVER,
	BPH_WK_IP,
	BPH_WK_CIDR,
	BPH_WK_COUNT
};

struct bph_watch_entry {
	enum bph_watch_kind kind;
	char *value;  /* normalised (lower-case hex, "a.b.c.d/nn") */
	char *source; /* the file's source (Zeek: meta.source) */
	char *desc;   /* may be NULL */
	char *file;   /* where it was read, with line */
	size_t line;
	enum bph_severity severity;
	time_t expires;	 /* 0: never; else the first second it is expired */
	uint32_t lo, hi; /* ip and cidr: the address range */
	char key[33];	 /* stable id: hex SHA-256 of source, kind, value */
};

struct bph_watchlist {
	struct bph_watch_entry *v; /* after finish: sorted by (kind, value) */
	size_t n, cap;
	size_t *by_lo;	  /* address entries sorted by lo */
	uint32_t *max_hi; /* prefix maximum of hi over by_lo */
	size_t n_addr;
	uint32_t
	    *terms; /* bph_watch_term_hash of each artifact entry, sorted */
	size_t n_terms;
};

/* "ssh_hostkey", ... ; NULL when out of range. */
const char *bph_watch_kind_name(enum bph_watch_kind k);
enum bph_severity bph_watch_default_severity(enum bph_watch_kind k);

/*
 * Adds the entries of the file at path: a Zeek intel file when a line
 * starts with "#fields", else a YAML watch file. Returns 0, BPH_ERR_IO
 * (cannot read), BPH_ERR_FORMAT (message "file:line[:column]: ..." in
 * err) or BPH_ERR_NOMEM. On error the list keeps what it had before.
 */
int bph_watch_load_file(struct bph_watchlist *w, const char *path, char *err,
			size_t errlen);
/* The same for a buffer (path names it in messages). */
int bph_watch_load_mem(struct bph_watchlist *w, const char *path,
		       const char *buf, size_t len, char *err, size_t errlen);

/* Builds the lookup index; call after the loads. Returns 0 or ENOMEM. */
int bph_watch_finish(struct bph_watchlist *w);
void bph_watch_clear(struct bph_watchlist *w); /* NULL-safe */

/*
 * Calls cb for every entry of w (finished) that s (borrowed) matches and
 * that is not expired at now: artifact entries with the service's port,
 * address entries once per host with port -1 (the caller calls this for
 * every service; address hits repeat and are the caller's to merge).
 * value is the matched value as the record holds it (borrowed).
 */
typedef void (*bph_watch_hit_cb)(void *ctx, const struct bph_watch_entry *e,
				 const struct bph_service *s, int port,
				 const char *value);
void bph_watch_match(const struct bph_watchlist *w, const struct bph_service *s,
		     time_t now, bph_watch_hit_cb cb, void *ctx);

/*
 * Calls cb with every (kind, value, port) that bph_watch_match looks up
 * for s's artifacts (not its address): the values as the record holds
 * them (an SSH key's MD5 lower-cased, without "MD5:"), never empty.
 */
typedef void (*bph_watch_term_cb)(void *ctx, enum bph_watch_kind k,
				  const char *value, int port);
void bph_watch_terms(const struct bph_service *s, bph_watch_term_cb cb,
		     void *ctx);
/* A 32-bit hash of (k, value): a filter, equal for equal pairs. */
uint32_t bph_watch_term_hash(enum bph_watch_kind k, const char *value);
/* Whether some artifact entry of w (finished) hashes to h, live or not:
 * false means no entry can match a term of that hash. */
bool bph_watch_has_term(const struct bph_watchlist *w, uint32_t h);
/* bph_watch_match's address part alone: cb for each live address entry
 * holding ip, with port -1 (its service argument carries only ip). */
void bph_watch_match_addr(const struct bph_watchlist *w, uint32_t ip,
			  time_t now, bph_watch_hit_cb cb, void *ctx);

/* Validates and normalises value for kind into out (a new string);
 * 0, BPH_ERR_FORMAT (reason in *why) or BPH_ERR_NOMEM. */
int bph_watch_value(enum bph_watch_kind k, const char *value, char **out,
		    const char **why);

#endif
