/*
 * parse_kinds.c - the one table of data-file kinds: name, whether it is a
 * deny list, its line handler and its default licence note (the notes'
 * sources are in docs/guide.md, "Licences of the lists").
 */
#include "ranges/parse.h"

#include <string.h>

#include "ranges/ranges_int.h"

#define SPAMHAUS_NOTE                                                          \
	"Spamhaus DROP: free for any use; redistribution must credit The "     \
	"Spamhaus Project and keep its copyright line and timestamps "         \
	"(https://www.spamhaus.org/drop/terms/)"

static const struct kind_ops kinds[BPH_KIND_COUNT] = {
    [BPH_KIND_PFX2AS] = {BPH_KIND_PFX2AS, "pfx2as", false, bph_line_pfx2as,
			 NULL, "", 0},
    [BPH_KIND_IP2ASN] = {BPH_KIND_IP2ASN, "ip2asn", false, bph_line_ip2asn,
			 NULL, "", 0},
    [BPH_KIND_ASREL] = {BPH_KIND_ASREL, "asrel", false, bph_line_asrel, NULL,
			"", 0},
    [BPH_KIND_AS2ORG] = {BPH_KIND_AS2ORG, "as2org", false, bph_line_as2org,
			 NULL, "", 0},
    [BPH_KIND_DELEGATED] = {BPH_KIND_DELEGATED, "delegated", false,
			    bph_line_delegated, NULL, "", 0},
    [BPH_KIND_RPSL] = {BPH_KIND_RPSL, "rpsl", false, bph_line_rpsl,
		       bph_finish_rpsl, "", 0},
    [BPH_KIND_DROP] = {BPH_KIND_DROP, "drop", true, bph_line_drop, NULL,
		       SPAMHAUS_NOTE, 0},
    [BPH_KIND_ASNDROP] = {BPH_KIND_ASNDROP, "asndrop", true, bph_line_asndrop,
			  NULL, SPAMHAUS_NOTE, 0},
    [BPH_KIND_NETSET] = {BPH_KIND_NETSET, "netset", true, bph_line_netset, NULL,
			 "FireHOL netset: each list keeps the terms of its "
			 "source (see the file's header)",
			 0},
    [BPH_KIND_PLAIN] = {BPH_KIND_PLAIN, "plain", true, bph_line_netset, NULL,
			"", 0},
    [BPH_KIND_FEODO] = {BPH_KIND_FEODO, "feodo", true, bph_line_feodo, NULL,
			"abuse.ch Feodo Tracker: terms of use at "
			"https://feodotracker.abuse.ch/blocklist/",
			0},
    [BPH_KIND_DSHIELD] = {BPH_KIND_DSHIELD, "dshield", true, bph_line_dshield,
			  NULL,
			  "DShield: CC BY-NC-SA 2.5 (non-commercial, "
			  "share-alike; exports that copy it inherit these "
			  "terms)",
			  BPH_LIC_NC | BPH_LIC_SA},
};

const struct kind_ops *bph_kind_ops(enum bph_kind k)
{
	return k > BPH_KIND_NONE && k < BPH_KIND_COUNT ? &kinds[k] : NULL;
}

const char *bph_kind_name(enum bph_kind k)
{
	const struct kind_ops *ops = bph_kind_ops(k);
	return ops ? ops->name : "?";
}

enum bph_kind bph_kind_from_name(const char *s)
{
	for (int k = 1; k < BPH_KIND_COUNT; k++)
		if (!strcmp(kinds[k].name, s))
			return (enum bph_kind)k;
	return BPH_KIND_NONE;
}

bool bph_kind_is_list(enum bph_kind k)
{
	const struct kind_ops *ops = bph_kind_ops(k);
	return ops && ops->is_list;
}

const char *bph_date_source_name(enum bph_date_source s)
{
	static const char *const names[] = {"none",   "option", "metadata",
					    "header", "name",	"mtime"};
	return s <= BPH_DATE_MTIME ? names[s] : "none";
}
