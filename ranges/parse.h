/*
 * parse.h - reading routing, registry and deny-list files into records.
 *
 * Kinds (docs/guide.md, "From a cluster to its networks", has each format
 * with its source): pfx2as, ip2asn, asrel (CAIDA serial-1 and serial-2),
 * as2org (text and JSON Lines), delegated (RIR delegated-extended), rpsl
 * (RIPE/APNIC/AFRINIC split or full dumps), drop and asndrop (Spamhaus
 * JSON Lines and the legacy text), netset (FireHOL), plain (one address or
 * CIDR a line), feodo (abuse.ch Feodo Tracker CSV or text) and dshield
 * (block.txt). Files may be gzip or bzip2 compressed (ranges/reader.h).
 *
 * Every malformed line is counted and reported as "file:line: message"
 * and skipped; with strict, the first one ends the parse. The snapshot
 * date comes from the file's metadata or header, else from a date in its
 * name, else from its modification time (the result says which).
 */
#ifndef BPH_RANGES_PARSE_H
#define BPH_RANGES_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ranges/reader.h"
#include "ranges/rows.h"

enum bph_kind {
	BPH_KIND_NONE = 0, /* detect */
	BPH_KIND_PFX2AS,
	BPH_KIND_IP2ASN,
	BPH_KIND_ASREL,
	BPH_KIND_AS2ORG,
	BPH_KIND_DELEGATED,
	BPH_KIND_RPSL,
	BPH_KIND_DROP,
	BPH_KIND_ASNDROP,
	BPH_KIND_NETSET,
	BPH_KIND_PLAIN,
	BPH_KIND_FEODO,
	BPH_KIND_DSHIELD,
	BPH_KIND_COUNT
};

/* What a snapshot holds, so that the newest one of each part is current
 * (a v6 file does not hide an older v4 one). */
#define BPH_PART_V4	 0x01u /* IPv4 prefixes, ranges or entries */
#define BPH_PART_V6	 0x02u
#define BPH_PART_ASN	 0x04u /* AS facts: relations, AS-org, AS entries */
#define BPH_PART_ORG	 0x08u /* organisations (as2org, RPSL) */
#define BPH_PART_CONTACT 0x10u /* RPSL role and irt */
#define BPH_PART_AUTNUM	 0x20u /* RPSL aut-num */

/* Licence flags of a list (docs/guide.md, "Licences of the lists"). */
#define BPH_LIC_NC 0x01u /* non-commercial */
#define BPH_LIC_SA 0x02u /* share-alike */

enum bph_date_source {
	BPH_DATE_NONE = 0,
	BPH_DATE_OPTION, /* --date */
	BPH_DATE_METADATA,
	BPH_DATE_HEADER,
	BPH_DATE_NAME,
	BPH_DATE_MTIME,
};

/* The kind's name ("pfx2as"...), "?" when out of range. */
const char *bph_kind_name(enum bph_kind k);
/* The kind named s; BPH_KIND_NONE when unknown. */
enum bph_kind bph_kind_from_name(const char *s);
/* Whether k is a deny list (drop asndrop netset plain feodo dshield). */
bool bph_kind_is_list(enum bph_kind k);
/* "metadata", "header", "name", "mtime", "option", "none". */
const char *bph_date_source_name(enum bph_date_source s);

struct bph_parse_opts {
	enum bph_kind kind;  /* BPH_KIND_NONE: detect from the content */
	bool strict;	     /* the first malformed line is fatal */
	FILE *errout;	     /* malformed lines are reported here; NULL */
	size_t max_messages; /* reports before "... more"; 0: 20 */
	uint64_t limit;	     /* decompressed byte cap; 0: none */
	const char *label;   /* name in messages; NULL: the path */
};

struct bph_parse_result {
	enum bph_kind kind;
	enum bph_compression comp;
	uint64_t lines;	   /* lines read */
	uint64_t records;  /* records handed to the sink */
	uint64_t rejected; /* malformed lines (or RPSL objects) */
	uint64_t warnings; /* accepted with a remark (host bits masked) */
	unsigned parts;	   /* BPH_PART_* of the records */
	char date[11];	   /* YYYY-MM-DD, "" when none was found */
	enum bph_date_source date_source;
	char licence[320];	/* what the file says of its terms, else the
				   kind's note; "" for routing data */
	unsigned licence_flags; /* BPH_LIC_* */
	char origin[32];	/* who published it when the file says
				   ("RIPE", "ripencc", "Spamhaus"), "" */
};

/*
 * Parses path with o (borrowed; kind BPH_KIND_NONE detects it), handing
 * each record to sink (borrowed) and filling res. Returns 0 when the file
 * was read (malformed lines only counted), BPH_ERR_FORMAT when the kind
 * cannot be told (err says so), when strict and a line is malformed, or
 * when compressed data is corrupt; BPH_ERR_IO, BPH_ERR_TOOBIG; or the
 * sink's own non-zero return. err gets a message for every failure.
 */
int bph_parse_file(const char *path, const struct bph_parse_opts *o,
		   const struct bph_rsink *sink, struct bph_parse_result *res,
		   char *err, size_t errlen);

/* The same over n bytes at buf (no name or mtime date). */
int bph_parse_mem(const uint8_t *buf, size_t n, const struct bph_parse_opts *o,
		  const struct bph_rsink *sink, struct bph_parse_result *res,
		  char *err, size_t errlen);

/*
 * The kind of the content at path, from its first lines, into *kind.
 * Returns 0, BPH_ERR_FORMAT when no kind fits unambiguously (err says
 * what was seen), BPH_ERR_IO.
 */
int bph_detect_file(const char *path, enum bph_kind *kind, char *err,
		    size_t errlen);

/*
 * A date in s: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD (alone among digits),
 * "DD Mon YYYY" or "Mon DD ... YYYY", into out as YYYY-MM-DD. Returns
 * true when one was found.
 */
bool bph_find_date(const char *s, char out[11]);

#endif
