/*
 * rankfile.h - reading the output of `bphound rank --format csv|jsonl`
 * (`export --rank-file F`): the ranked units in file order.
 *
 * csv: a header row with a "unit" column (and optionally "rank" and
 * "score"), then one row per unit, RFC 4180 quoting (a field may start
 * with the ' that defuses a spreadsheet formula); jsonl: one object a
 * line with a string "unit" (and optionally numbers "rank" and "score").
 * Blank lines are skipped, CRLF accepted. A unit is a prefix ("192.0.2.0/24",
 * IPv4 or IPv6), an AS ("AS64500") or an organisation id (letters,
 * digits, '-', '_', '.'; 1-63 bytes). Anything else, the text format of
 * `bphound rank` included, is an error naming file:line:column.
 */
#ifndef BPH_ABUSE_RANKFILE_H
#define BPH_ABUSE_RANKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "abuse/cidr.h"

#define BPH_RANKFILE_MAX_LINE  65536
#define BPH_RANKFILE_MAX_UNITS 1000000

enum bph_unit_kind { BPH_UNIT_PREFIX, BPH_UNIT_ASN, BPH_UNIT_ORG };

struct bph_rank_unit {
	enum bph_unit_kind kind;
	char text[64];	      /* as written */
	struct bph_cidr cidr; /* BPH_UNIT_PREFIX */
	uint32_t asn;	      /* BPH_UNIT_ASN */
	unsigned rank;	      /* the file's rank, else its position (1..) */
	double score;	      /* 0 when the file has none */
};

/*
 * Parses buf (len bytes; borrowed) named name into *out (a new array,
 * caller frees; NULL when empty) and *n. Returns 0; BPH_ERR_FORMAT with
 * "name:line:column: what" in err; BPH_ERR_TOOBIG past
 * BPH_RANKFILE_MAX_UNITS; BPH_ERR_NOMEM.
 */
int bph_rankfile_parse(const char *buf, size_t len, const char *name,
		       struct bph_rank_unit **out, size_t *n, char *err,
		       size_t errlen);

/* The same for the file at path (BPH_ERR_IO when it cannot be read). */
int bph_rankfile_load(const char *path, struct bph_rank_unit **out, size_t *n,
		      char *err, size_t errlen);

#endif
