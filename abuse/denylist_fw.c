/*
 * denylist_fw.c - deny lists a firewall loads: an nftables table (what
 * `nft -f` reads; docs/output.md "nft") and an `ipset restore` script
 * (docs/output.md "ipset"). Both replace an earlier load of the same tag
 * atomically, so loading a regenerated list twice is safe.
 */
#include "abuse/denylist.h"

#include <string.h>

#include "fingerprints/err.h"

static int io_result(FILE *out, char *err, size_t errlen)
{
	if (ferror(out)) {
		if (err && errlen)
			snprintf(err, errlen, "write failed");
		return BPH_ERR_IO;
	}
	return 0;
}

/* ---- nft ---- */

static void nft_set(const struct bph_denylist *d, FILE *out, uint8_t family)
{
	char s[BPH_CIDR_STRLEN];
	bool first = true;
	fprintf(out, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n",
		family == 4 ? "v4" : "v6",
		family == 4 ? "ipv4_addr" : "ipv6_addr");
	fprintf(out, "\t\tauto-merge\n");
	for (size_t i = 0; i < d->n_entries; i++) {
		if (d->entries[i].cidr.family != family)
			continue;
		bph_cidr_format(&d->entries[i].cidr, s);
		fprintf(out, "%s\t\t\t%s", first ? "\t\telements = {\n" : ",\n",
			s);
		first = false;
	}
	if (!first)
		fprintf(out, "\n\t\t}\n");
	fprintf(out, "\t}\n");
}

/* A base chain on hook dropping (or rejecting) what matches: dirs is
 * "saddr", "daddr" or both ("saddr daddr"). */
static void nft_chain(FILE *out, const char *hook, const char *dirs,
		      const char *verdict)
{
	fprintf(out,
		"\tchain %s {\n\t\ttype filter hook %s priority filter; "
		"policy accept;\n",
		hook, hook);
	for (const char *dir = dirs; *dir; dir += strcspn(dir, " ")) {
		dir += strspn(dir, " ");
		int n = (int)strcspn(dir, " ");
		fprintf(out, "\t\tip %.*s @v4 counter %s\n", n, dir, verdict);
		fprintf(out, "\t\tip6 %.*s @v6 counter %s\n", n, dir, verdict);
	}
	fprintf(out, "\t}\n");
}

static int write_nft(const struct bph_denylist *d, FILE *out, char *err,
		     size_t errlen)
{
	bph_deny_write_header(d, out, "#");
	fprintf(out,
		"# load: nft -f FILE (replaces an earlier load of this "
		"table); remove: nft delete table inet bphound_%s\n",
		d->tag);
	/* declare, then delete, then define: one transaction that works
	 * whether or not the table is loaded already */
	fprintf(out, "table inet bphound_%s\n", d->tag);
	fprintf(out, "delete table inet bphound_%s\n", d->tag);
	fprintf(out, "table inet bphound_%s {\n", d->tag);
	nft_set(d, out, 4);
	nft_set(d, out, 6);
	nft_chain(out, "input", "saddr", "drop");
	nft_chain(out, "forward", "saddr daddr", "drop");
	nft_chain(out, "output", "daddr", "reject");
	fprintf(out, "}\n");
	return io_result(out, err, errlen);
}

const struct bph_deny_format bph_deny_nft = {
    .name = "nft",
    .extension = "nft",
    .summary = "nftables table with v4 and v6 interval sets (nft -f)",
    .write = write_nft,
};

/* ---- ipset ---- */

static size_t maxelem(size_t n)
{
	size_t m = 65536;
	while (m < n)
		m *= 2;
	return m;
}

static void ipset_family(const struct bph_denylist *d, FILE *out,
			 uint8_t family)
{
	char s[BPH_CIDR_STRLEN], set[64];
	size_t n = 0;
	const char *fam = family == 4 ? "inet" : "inet6";
	for (size_t i = 0; i < d->n_entries; i++)
		n += d->entries[i].cidr.family == family;
	snprintf(set, sizeof(set), "%s_v%c", d->tag, family == 4 ? '4' : '6');
	fprintf(out,
		"create %s hash:net family %s hashsize 1024 maxelem %zu "
		"-exist\n",
		set, fam, maxelem(n));
	fprintf(out,
		"create %s_tmp hash:net family %s hashsize 1024 maxelem %zu "
		"-exist\n",
		set, fam, maxelem(n));
	fprintf(out, "flush %s_tmp\n", set);
	for (size_t i = 0; i < d->n_entries; i++) {
		if (d->entries[i].cidr.family != family)
			continue;
		bph_cidr_format(&d->entries[i].cidr, s);
		fprintf(out, "add %s_tmp %s\n", set, s);
	}
	fprintf(out, "swap %s_tmp %s\ndestroy %s_tmp\n", set, set, set);
}

static int write_ipset(const struct bph_denylist *d, FILE *out, char *err,
		       size_t errlen)
{
	bph_deny_write_header(d, out, "#");
	fprintf(out,
		"# load: ipset restore < FILE (sets %s_v4 and %s_v6; a "
		"reload swaps the new entries in)\n",
		d->tag, d->tag);
	ipset_family(d, out, 4);
	ipset_family(d, out, 6);
	return io_result(out, err, errlen);
}

const struct bph_deny_format bph_deny_ipset = {
    .name = "ipset",
    .extension = "ipset",
    .summary = "ipset restore script: hash:net sets TAG_v4 and TAG_v6",
    .write = write_ipset,
};
