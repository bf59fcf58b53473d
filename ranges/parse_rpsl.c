/*
 * parse_rpsl.c - RPSL objects of RIPE, APNIC and AFRINIC database dumps
 * (split files such as ripe.db.inetnum.gz, or AFRINIC's whole dump):
 * paragraphs of "attribute: value" lines, continuation lines starting
 * with blank or '+', '%' and '#' comments. Keeps inetnum, inet6num,
 * organisation, role, irt and aut-num with what the abuse-contact lookup
 * needs (docs/guide.md, "From a cluster to its networks"). Each object
 * is bounded (RPSL_MAX_ATTRS, RPSL_MAX_BYTES in ranges/ranges_int.h).
 */
#include "ranges/ranges_int.h"

#include <ctype.h>
#include <string.h>

#include "fingerprints/err.h"

static void obj_reset(struct rpsl_obj *o)
{
	o->n_attrs = 0;
	o->used = 0;
	o->overflow = false;
	o->bad = false;
	o->dropped_last = false;
}

/* Appends n bytes to the object's buffer; false when it is full. */
static bool obj_put(struct rpsl_obj *o, const char *s, size_t n)
{
	if (o->used + n + 1 > RPSL_MAX_BYTES) {
		o->overflow = true;
		return false;
	}
	memcpy(o->buf + o->used, s, n);
	o->used += n;
	o->buf[o->used] = '\0';
	return true;
}

/* The value without an end-of-line "# comment" and outer blanks. */
static void value_bounds(const char *v, size_t n, size_t *start, size_t *len)
{
	const char *hash = memchr(v, '#', n);
	size_t a = 0, b = hash ? (size_t)(hash - v) : n;

	while (a < b && (v[a] == ' ' || v[a] == '\t'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
		b--;
	*start = a;
	*len = b - a;
}

static int add_attr(struct pctx *p, const char *s, size_t name_len,
		    const char *v, size_t vn)
{
	struct rpsl_obj *o = p->obj;
	size_t a, len;

	if (o->n_attrs == 0)
		o->first_line = p->lineno;
	if (o->n_attrs == RPSL_MAX_ATTRS ||
	    name_len >= sizeof(o->attrs[0].name)) {
		o->overflow = o->dropped_last = true;
		return 0;
	}
	value_bounds(v, vn, &a, &len);
	struct rpsl_attr *at = &o->attrs[o->n_attrs];
	for (size_t i = 0; i < name_len; i++)
		at->name[i] = (char)tolower((unsigned char)s[i]);
	at->name[name_len] = '\0';
	at->off = (uint32_t)o->used;
	if (!obj_put(o, v + a, len)) {
		o->dropped_last = true;
		return 0;
	}
	o->dropped_last = false;
	at->len = (uint32_t)len;
	o->used++; /* keep the NUL */
	o->n_attrs++;
	return 0;
}

/* A continuation line: joined to the last attribute with one space. */
static int add_continuation(struct pctx *p, const char *s, size_t n)
{
	struct rpsl_obj *o = p->obj;
	size_t a, len;

	if (o->n_attrs == 0)
		return bph_reject(p, "rpsl: continuation line outside an "
				     "object");
	struct rpsl_attr *at = &o->attrs[o->n_attrs - 1];
	if (o->dropped_last) /* belongs to an attribute that did not fit */
		return 0;
	value_bounds(s + 1, n - 1, &a, &len);
	if (len == 0)
		return 0;
	o->used--; /* over the NUL */
	if (!obj_put(o, " ", 1) || !obj_put(o, s + 1 + a, len)) {
		o->used = at->off + at->len + 1;
		o->buf[at->off + at->len] = '\0';
		return 0;
	}
	at->len += (uint32_t)len + 1;
	o->used++;
	return 0;
}

/* The first value of attribute name, "" when absent. */
static const char *get(const struct rpsl_obj *o, const char *name)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		if (!strcmp(o->attrs[i].name, name))
			return o->buf + o->attrs[i].off;
	return "";
}

/* "a - b" (inetnum) or a prefix (inet6num, some APNIC inetnums). */
static bool parse_inetnum_key(struct pctx *p, const char *key,
			      struct bph_range *r)
{
	char buf[BPH_RANGE_STRLEN];
	const char *dash = strchr(key, '-');
	struct bph_addr a, b;

	if (!dash)
		return bph_parse_net(p, key, r);
	if (strlen(key) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)(dash - key), key);
	char *first = bph_trim(buf);
	if (bph_addr_parse(first, strlen(first), &a))
		return false;
	snprintf(buf, sizeof(buf), "%s", dash + 1);
	char *last = bph_trim(buf);
	if (bph_addr_parse(last, strlen(last), &b) || a.fam != b.fam ||
	    a.v > b.v)
		return false;
	*r = (struct bph_range){a.fam, a.v, b.v};
	bph_note_family(p, r);
	return true;
}

static int emit_inetnum(struct pctx *p, const struct rpsl_obj *o)
{
	struct bph_row_inetnum r = {.netname = get(o, "netname"),
				    .descr = get(o, "descr"),
				    .country = get(o, "country"),
				    .org = get(o, "org"),
				    .status = get(o, "status"),
				    .abuse_c = get(o, "abuse-c"),
				    .mnt_irt = get(o, "mnt-irt"),
				    .abuse_mailbox = get(o, "abuse-mailbox"),
				    .source = get(o, "source")};

	if (!parse_inetnum_key(p, o->buf + o->attrs[0].off, &r.net))
		return bph_reject_at(p, o->first_line,
				     "rpsl: bad inetnum range");
	return EMIT(p, inetnum, &r);
}

static int emit_other(struct pctx *p, const struct rpsl_obj *o, const char *cls,
		      const char *key)
{
	if (!strcmp(cls, "organisation")) {
		struct bph_row_rpsl_org r = {key,
					     get(o, "org-name"),
					     get(o, "country"),
					     get(o, "abuse-c"),
					     get(o, "abuse-mailbox"),
					     get(o, "source")};
		p->res->parts |= BPH_PART_ORG;
		return EMIT(p, rpsl_org, &r);
	}
	if (!strcmp(cls, "role") || !strcmp(cls, "irt")) {
		bool role = cls[0] == 'r';
		struct bph_row_contact r = {
		    role ? get(o, "nic-hdl") : key, cls, role ? key : "",
		    get(o, "abuse-mailbox"), get(o, "source")};
		if (!r.handle[0])
			return bph_reject_at(p, o->first_line,
					     "rpsl: role without nic-hdl");
		p->res->parts |= BPH_PART_CONTACT;
		return EMIT(p, contact, &r);
	}
	struct bph_row_autnum r = {.as_name = get(o, "as-name"),
				   .org = get(o, "org"),
				   .sponsoring_org = get(o, "sponsoring-org"),
				   .abuse_c = get(o, "abuse-c"),
				   .mnt_irt = get(o, "mnt-irt"),
				   .source = get(o, "source")};
	if (!bph_parse_asn(key, true, &r.asn))
		return bph_reject_at(p, o->first_line, "rpsl: bad aut-num");
	p->res->parts |= BPH_PART_AUTNUM;
	return EMIT(p, autnum, &r);
}

static int flush(struct pctx *p)
{
	struct rpsl_obj *o = p->obj;
	int rc = 0;

	if (o->n_attrs == 0) {
		obj_reset(o);
		return 0;
	}
	const char *cls = o->attrs[0].name, *key = o->buf + o->attrs[0].off;
	const char *src = get(o, "source");
	if (src[0] && !p->res->origin[0])
		snprintf(p->res->origin, sizeof(p->res->origin), "%s", src);
	if (o->overflow)
		p->res->warnings++;
	if (!strcmp(cls, "inetnum") || !strcmp(cls, "inet6num"))
		rc = emit_inetnum(p, o);
	else if (!strcmp(cls, "organisation") || !strcmp(cls, "role") ||
		 !strcmp(cls, "irt") || !strcmp(cls, "aut-num"))
		rc = emit_other(p, o, cls, key);
	obj_reset(o);
	return rc;
}

/* Length of "name" in "name: value" (letters, digits, '-', '_'), 0 if
 * the line is not an attribute. */
static size_t attr_name_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n &&
	       (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
		i++;
	return i > 0 && i < n && s[i] == ':' ? i : 0;
}

int bph_line_rpsl(struct pctx *p, char *s, size_t n)
{
	size_t name_len;

	if (s[0] == '%' || s[0] == '#') {
		if (p->obj->n_attrs == 0)
			bph_header_line(p, s);
		return 0;
	}
	if (strspn(s, " \t") == n)
		return flush(p);
	p->data_seen = true;
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '+')
		return add_continuation(p, s, n);
	if ((name_len = attr_name_len(s, n)) == 0)
		return bph_reject(p, "rpsl: not an 'attribute: value' line");
	return add_attr(p, s, name_len, s + name_len + 1, n - name_len - 1);
}

int bph_finish_rpsl(struct pctx *p)
{
	return flush(p);
}
