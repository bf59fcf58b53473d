/*
 * record_json.c - one record to one JSON object and back (jansson), and
 * the JSON Lines writer, with every network string cleaned. Contract in
 * record_json.h; the fields in docs/output.md.
 */
#include "fingerprints/record_json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/text.h"
#include "fingerprints/err.h"

/* Scalar field kinds the tables below describe. */
enum ftype {
	F_STR,	/* char *, heap */
	F_FIX,	/* char[size], text */
	F_HEX,	/* char[size], lower-case hex */
	F_BOOL, /* bool */
	F_INT,	/* int */
	F_I32,	/* int32_t */
	F_U8,	/* uint8_t */
	F_I8,	/* int8_t */
	F_U16,	/* uint16_t */
	F_SIZE, /* size_t */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	size_t size; /* F_FIX / F_HEX: the array size */
};

#define FS(st, f)    #f, F_STR, offsetof(st, f), 0
#define FX(st, f)    #f, F_FIX, offsetof(st, f), sizeof(((st *)0)->f)
#define FH(st, f)    #f, F_HEX, offsetof(st, f), sizeof(((st *)0)->f)
#define FN(st, f, t) #f, t, offsetof(st, f), 0

/* "seen" is RFC 3339 UTC ("2026-11-26T19:40:02Z"), as every other time. */
static json_t *seen_json(time_t t)
{
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return json_string(buf);
}

static const struct field tcp_fields[] = {
    {FN(struct bph_tcp_traits, ttl, F_U8)},
    {FN(struct bph_tcp_traits, ittl, F_U8)},
    {FN(struct bph_tcp_traits, hops, F_U8)},
    {FN(struct bph_tcp_traits, window, F_U16)},
    {FN(struct bph_tcp_traits, mss, F_U16)},
    {FN(struct bph_tcp_traits, wscale, F_I8)},
    {FN(struct bph_tcp_traits, df, F_BOOL)},
    {FN(struct bph_tcp_traits, ipid, F_U16)},
    {FN(struct bph_tcp_traits, olen, F_U8)},
    {FX(struct bph_tcp_traits, options)},
    {FX(struct bph_tcp_traits, quirks)},
    {FX(struct bph_tcp_traits, sig)},
    {NULL, 0, 0, 0},
};

static const struct field tls_fields[] = {
    {FS(struct bph_tls_info, error)},
    {FS(struct bph_tls_info, version)},
    {FS(struct bph_tls_info, cipher)},
    {FS(struct bph_tls_info, alpn)},
    {FH(struct bph_tls_info, cert_sha256)},
    {FH(struct bph_tls_info, cert_sha1)},
    {FH(struct bph_tls_info, spki_sha256)},
    {FS(struct bph_tls_info, subject)},
    {FS(struct bph_tls_info, issuer)},
    {FS(struct bph_tls_info, serial)},
    {FS(struct bph_tls_info, not_before)},
    {FS(struct bph_tls_info, not_after)},
    {FN(struct bph_tls_info, self_signed, F_BOOL)},
    {FS(struct bph_tls_info, key_type)},
    {FN(struct bph_tls_info, key_bits, F_INT)},
    {FS(struct bph_tls_info, sig_alg)},
    {FN(struct bph_tls_info, chain_len, F_INT)},
    {FH(struct bph_tls_info, jarm)},
    {FS(struct bph_tls_info, jarm_raw)},
    {FH(struct bph_tls_info, ja3s)},
    {FS(struct bph_tls_info, ja3s_full)},
    {FS(struct bph_tls_info, sh_extensions)},
    {NULL, 0, 0, 0},
};

static const struct field ssh_fields[] = {
    {FS(struct bph_ssh_info, error)},
    {FS(struct bph_ssh_info, banner)},
    {FH(struct bph_ssh_info, hassh_server)},
    {FS(struct bph_ssh_info, hassh_server_algorithms)},
    {NULL, 0, 0, 0},
};

static const struct field hostkey_fields[] = {
    {FS(struct bph_ssh_hostkey, type)},
    {FX(struct bph_ssh_hostkey, sha256)},
    {FX(struct bph_ssh_hostkey, md5)},
    {FN(struct bph_ssh_hostkey, bits, F_INT)},
    {NULL, 0, 0, 0},
};

static const struct field http_fields[] = {
    {FS(struct bph_http_info, error)},
    {FN(struct bph_http_info, tls, F_BOOL)},
    {FN(struct bph_http_info, status, F_INT)},
    {FS(struct bph_http_info, status_line)},
    {FS(struct bph_http_info, server)},
    {FS(struct bph_http_info, powered_by)},
    {FS(struct bph_http_info, location)},
    {FS(struct bph_http_info, title)},
    {FX(struct bph_http_info, header_hash)},
    {FH(struct bph_http_info, body_sha256)},
    {FN(struct bph_http_info, body_mmh3, F_I32)},
    {FN(struct bph_http_info, body_len, F_SIZE)},
    {FH(struct bph_http_info, favicon_sha256)},
    {FS(struct bph_http_info, favicon_url)},
    {NULL, 0, 0, 0},
};

static const struct field banner_fields[] = {
    {FS(struct bph_banner_info, error)},
    {FS(struct bph_banner_info, text)},
    {FH(struct bph_banner_info, sha256)},
    {FN(struct bph_banner_info, len, F_SIZE)},
    {NULL, 0, 0, 0},
};

const char *bph_state_name(enum bph_port_state st)
{
	switch (st) {
	case BPH_STATE_OPEN:
		return "open";
	case BPH_STATE_CLOSED:
		return "closed";
	case BPH_STATE_FILTERED:
		return "filtered";
	case BPH_STATE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- writing ---- */

/* A JSON string for untrusted text (see the header); NULL on ENOMEM. */
static json_t *text_json(const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_UTF8);
	json_t *j = clean ? json_string(clean) : NULL;

	free(clean);
	return j;
}

static json_t *hex_json(const char *s)
{
	char low[256];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	return text_json(low);
}

/* The JSON value of one scalar field, or NULL when it is omitted. */
static json_t *field_json(const struct field *f, const void *base, int *oom)
{
	const char *p = (const char *)base + f->off;
	const char *s;
	json_t *j = NULL;

	switch (f->type) {
	case F_STR:
		s = *(char *const *)p;
		if (!s || !s[0])
			return NULL;
		j = text_json(s);
		break;
	case F_FIX:
		if (!p[0])
			return NULL;
		j = text_json(p);
		break;
	case F_HEX:
		if (!p[0])
			return NULL;
		j = hex_json(p);
		break;
	case F_BOOL:
		j = json_boolean(*(const bool *)p);
		break;
	case F_INT:
		j = json_integer(*(const int *)p);
		break;
	case F_I32:
		j = json_integer(*(const int32_t *)p);
		break;
	case F_U8:
		j = json_integer(*(const uint8_t *)p);
		break;
	case F_I8:
		j = json_integer(*(const int8_t *)p);
		break;
	case F_U16:
		j = json_integer(*(const uint16_t *)p);
		break;
	case F_SIZE:
		j = json_integer((json_int_t) * (const size_t *)p);
		break;
	}
	if (!j)
		*oom = 1;
	return j;
}

/* Sets every present field of tab from base into obj; -1 on ENOMEM. */
static int put_fields(json_t *obj, const struct field *tab, const void *base)
{
	int oom = 0;

	for (const struct field *f = tab; f->name; f++) {
		json_t *v = field_json(f, base, &oom);
		if (v && json_object_set_new(obj, f->name, v))
			return -1;
		if (oom)
			return -1;
	}
	return 0;
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, text_json(v[i] ? v[i] : ""))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Sets obj[key] = v (stealing v); -1 when v is NULL or on failure. */
static int set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(obj, key, v) ? -1 : 0;
}

static json_t *tls_json(const struct bph_tls_info *t)
{
	json_t *o = json_object();

	if (!o || put_fields(o, tls_fields, t) ||
	    (t->n_san && set_new(o, "san", strv_json(t->san, t->n_san)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *hostkeys_json(const struct bph_ssh_info *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_hostkeys; i++) {
		json_t *k = json_object();
		if (!k || put_fields(k, hostkey_fields, &s->hostkeys[i]) ||
		    json_array_append_new(a, k)) {
			json_decref(k);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *ssh_json(const struct bph_ssh_info *s)
{
	json_t *o = json_object();
	int any_kex = 0;

	for (int i = 0; i < 10; i++)
		any_kex |= s->kexinit[i] != NULL;
	if (!o || put_fields(o, ssh_fields, s) ||
	    (any_kex && set_new(o, "kexinit", strv_json(s->kexinit, 10))) ||
	    (s->n_hostkeys && set_new(o, "hostkeys", hostkeys_json(s)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *http_json(const struct bph_http_info *h)
{
	json_t *o = json_object();

	if (!o || put_fields(o, http_fields, h) ||
	    (h->has_favicon &&
	     set_new(o, "favicon_mmh3", json_integer(h->favicon_mmh3))) ||
	    (h->n_headers &&
	     set_new(o, "headers", strv_json(h->headers, h->n_headers)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *simple_json(const struct field *tab, const void *base)
{
	json_t *o = json_object();

	if (!o || put_fields(o, tab, base)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int put_head(json_t *o, const struct bph_service *s)
{
	char ip[16];

	bph_ip_str(s->ip, ip);
	if (set_new(o, "ip", json_string(ip)) ||
	    set_new(o, "port", json_integer(s->port)) ||
	    set_new(o, "state", json_string(bph_state_name(s->state))))
		return -1;
	if (s->seen && set_new(o, "seen", seen_json(s->seen)))
		return -1;
	if (s->proto && s->proto[0] && set_new(o, "proto", text_json(s->proto)))
		return -1;
	return 0;
}

json_t *bph_service_to_json(const struct bph_service *s)
{
	json_t *o = json_object();
	int rc = o ? put_head(o, s) : -1;

	if (!rc && s->tcp.present)
		rc = set_new(o, "tcp", simple_json(tcp_fields, &s->tcp));
	if (!rc && s->tls)
		rc = set_new(o, "tls", tls_json(s->tls));
	if (!rc && s->ssh)
		rc = set_new(o, "ssh", ssh_json(s->ssh));
	if (!rc && s->http)
		rc = set_new(o, "http", http_json(s->http));
	if (!rc && s->banner)
		rc =
		    set_new(o, "banner", simple_json(banner_fields, s->banner));
	if (rc) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int bph_jsonl_write(FILE *f, const struct bph_service *s)
{
	json_t *j = bph_service_to_json(s);
	char *line;
	int rc = 0;

	if (!j)
		return BPH_ERR_NOMEM;
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!line)
		return BPH_ERR_NOMEM;
	if (fputs(line, f) == EOF || fputc('\n', f) == EOF)
		rc = BPH_ERR_IO;
	free(line);
	return rc;
}

/* ---- reading ---- */

struct rctx {
	char *err;
	size_t errlen;
	const char *where; /* "", "tls.", "ssh.hostkeys[]." ... */
};

__attribute__((format(printf, 3, 4))) static int
fail(struct rctx *c, const char *field, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s%s: %s", c->where, field, msg);
	}
	return BPH_ERR_FORMAT;
}

static int read_int(struct rctx *c, const char *name, const json_t *v,
		    long long lo, long long hi, long long *out)
{
	if (!json_is_integer(v))
		return fail(c, name, "expected an integer");
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return fail(c, name, "%lld out of range [%lld, %lld]", *out, lo,
			    hi);
	return 0;
}

static int read_fixed(struct rctx *c, const struct field *f, const json_t *v,
		      char *dst)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return fail(c, f->name, "expected a string");
	n = strlen(s);
	if (n >= f->size)
		return fail(c, f->name, "longer than %zu bytes", f->size - 1);
	for (size_t i = 0; f->type == F_HEX && i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return fail(c, f->name, "not hexadecimal");
	for (size_t i = 0; i < n; i++)
		dst[i] = f->type == F_HEX ? (char)tolower((unsigned char)s[i])
					  : s[i];
	dst[n] = '\0';
	return 0;
}

static int read_str(struct rctx *c, const char *name, const json_t *v,
		    char **dst)
{
	const char *s = json_string_value(v);

	if (!s)
		return fail(c, name, "expected a string");
	free(*dst);
	*dst = bph_strndup_cap(s, json_string_length(v), BPH_JSON_STR_MAX);
	return *dst ? 0 : BPH_ERR_NOMEM;
}

/* RFC 3339 UTC as written by seen_json; an integer (Unix time) is accepted
 * too, for records from other tools. */
static int read_seen(struct rctx *c, const json_t *v, time_t *out)
{
	struct tm tm;
	const char *s = json_string_value(v);
	const char *end;

	if (json_is_integer(v)) {
		/* up to 9999-12-31T23:59:59Z, the last time RFC 3339 can write
		 */
		json_int_t t = json_integer_value(v);
		if (t < 0 || t > 253402300799LL)
			return fail(c, "seen", "time out of range");
		*out = (time_t)t;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end)
		return fail(c, "seen", "expected an RFC 3339 UTC time");
	*out = timegm(&tm);
	return 0;
}

static int read_num(struct rctx *c, const struct field *f, const json_t *v,
		    char *p)
{
	static const long long lim[][2] = {
	    [F_INT] = {INT_MIN, INT_MAX}, [F_I32] = {INT32_MIN, INT32_MAX},
	    [F_U8] = {0, UINT8_MAX},	  [F_I8] = {INT8_MIN, INT8_MAX},
	    [F_U16] = {0, UINT16_MAX},	  [F_SIZE] = {0, LLONG_MAX},
	};
	long long n = 0;
	int rc = read_int(c, f->name, v, lim[f->type][0], lim[f->type][1], &n);

	if (rc)
		return rc;
	if (f->type == F_INT)
		*(int *)p = (int)n;
	else if (f->type == F_I32)
		*(int32_t *)p = (int32_t)n;
	else if (f->type == F_U8)
		*(uint8_t *)p = (uint8_t)n;
	else if (f->type == F_I8)
		*(int8_t *)p = (int8_t)n;
	else if (f->type == F_U16)
		*(uint16_t *)p = (uint16_t)n;
	else
		*(size_t *)p = (size_t)n;
	return 0;
}

static int read_field(struct rctx *c, const struct field *f, const json_t *v,
		      void *base)
{
	char *p = (char *)base + f->off;

	switch (f->type) {
	case F_STR:
		return read_str(c, f->name, v, (char **)p);
	case F_FIX:
	case F_HEX:
		return read_fixed(c, f, v, p);
	case F_BOOL:
		if (!json_is_boolean(v))
			return fail(c, f->name, "expected true or false");
		*(bool *)p = json_is_true(v);
		return 0;
	default:
		return read_num(c, f, v, p);
	}
}

static int get_fields(struct rctx *c, const json_t *obj,
		      const struct field *tab, void *base)
{
	for (const struct field *f = tab; f->name; f++) {
		const json_t *v = json_object_get(obj, f->name);
		int rc = v && !json_is_null(v) ? read_field(c, f, v, base) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* Reads an array of strings of at most max entries into a new vector. */
static int get_strv(struct rctx *c, const json_t *obj, const char *name,
		    size_t max, char ***out, size_t *n)
{
	const json_t *a = json_object_get(obj, name);
	size_t i, len;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return fail(c, name, "expected an array");
	len = json_array_size(a);
	if (len > max)
		return fail(c, name, "more than %zu entries", max);
	*out = calloc(len ? len : 1, sizeof(char *));
	if (!*out)
		return BPH_ERR_NOMEM;
	*n = len;
	for (i = 0; i < len; i++) {
		int rc = read_str(c, name, json_array_get(a, i), &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static const json_t *subobj(struct rctx *c, const json_t *j, const char *name,
			    int *rc)
{
	const json_t *o = json_object_get(j, name);

	*rc = 0;
	if (!o || json_is_null(o))
		return NULL;
	if (!json_is_object(o)) {
		*rc = fail(c, name, "expected an object");
		return NULL;
	}
	return o;
}

static int get_tls(struct rctx *c, const json_t *o, struct bph_service *s)
{
	s->tls = bph_tls_info_new();
	if (!s->tls)
		return BPH_ERR_NOMEM;
	c->where = "tls.";
	int rc = get_fields(c, o, tls_fields, s->tls);
	if (!rc)
		rc = get_strv(c, o, "san", 4096, &s->tls->san, &s->tls->n_san);
	return rc;
}

static int get_hostkeys(struct rctx *c, const json_t *o,
			struct bph_ssh_info *ssh)
{
	const json_t *a = json_object_get(o, "hostkeys");
	size_t len;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 64)
		return fail(c, "hostkeys", "expected an array of <= 64 keys");
	len = json_array_size(a);
	ssh->hostkeys = calloc(len ? len : 1, sizeof(*ssh->hostkeys));
	if (!ssh->hostkeys)
		return BPH_ERR_NOMEM;
	ssh->n_hostkeys = len;
	c->where = "ssh.hostkeys[].";
	for (size_t i = 0; i < len; i++) {
		const json_t *k = json_array_get(a, i);
		if (!json_is_object(k))
			return fail(c, "", "expected an object");
		int rc = get_fields(c, k, hostkey_fields, &ssh->hostkeys[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int get_ssh(struct rctx *c, const json_t *o, struct bph_service *s)
{
	char **kex = NULL;
	size_t n = 0;
	int rc;

	s->ssh = bph_ssh_info_new();
	if (!s->ssh)
		return BPH_ERR_NOMEM;
	c->where = "ssh.";
	rc = get_fields(c, o, ssh_fields, s->ssh);
	if (!rc)
		rc = get_strv(c, o, "kexinit", 10, &kex, &n);
	for (size_t i = 0; i < n; i++)
		s->ssh->kexinit[i] = kex[i];
	free(kex);
	if (!rc)
		rc = get_hostkeys(c, o, s->ssh);
	return rc;
}

static int get_http(struct rctx *c, const json_t *o, struct bph_service *s)
{
	struct bph_http_info *h = bph_http_info_new();
	const json_t *fav;
	long long v = 0;
	int rc;

	if (!h)
		return BPH_ERR_NOMEM;
	s->http = h;
	c->where = "http.";
	rc = get_fields(c, o, http_fields, h);
	if (!rc)
		rc =
		    get_strv(c, o, "headers", 1024, &h->headers, &h->n_headers);
	fav = json_object_get(o, "favicon_mmh3");
	if (!rc && fav && !json_is_null(fav)) {
		rc = read_int(c, "favicon_mmh3", fav, INT32_MIN, INT32_MAX, &v);
		h->has_favicon = rc == 0;
		h->favicon_mmh3 = (int32_t)v;
	}
	return rc;
}

static int get_state(struct rctx *c, const json_t *j, struct bph_service *s)
{
	const char *st = json_string_value(json_object_get(j, "state"));
	static const enum bph_port_state all[] = {
	    BPH_STATE_OPEN, BPH_STATE_CLOSED, BPH_STATE_FILTERED,
	    BPH_STATE_UNKNOWN};

	if (!st)
		return json_object_get(j, "state")
			   ? fail(c, "state", "expected a string")
			   : 0;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(st, bph_state_name(all[i]))) {
			s->state = all[i];
			return 0;
		}
	}
	return fail(c, "state", "unknown state");
}

static int get_head(struct rctx *c, const json_t *j, struct bph_service *s)
{
	const char *ip = json_string_value(json_object_get(j, "ip"));
	const json_t *v;
	struct in_addr a;
	long long n = 0;
	int rc;

	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return fail(c, "ip", "expected a dotted-quad IPv4 string");
	s->ip = ntohl(a.s_addr);
	rc = read_int(c, "port", json_object_get(j, "port"), 0, 65535, &n);
	if (rc)
		return rc;
	s->port = (uint16_t)n;
	if ((rc = get_state(c, j, s)))
		return rc;
	v = json_object_get(j, "seen");
	if (v && (rc = read_seen(c, v, &s->seen)))
		return rc;
	v = json_object_get(j, "proto");
	return v ? read_str(c, "proto", v, &s->proto) : 0;
}

int bph_service_from_json(const json_t *j, struct bph_service *out, char *err,
			  size_t errlen)
{
	struct rctx c = {err, errlen, ""};
	const json_t *o;
	int rc;

	if (!json_is_object(j))
		return fail(&c, "record", "expected a JSON object");
	if ((rc = get_head(&c, j, out)))
		return rc;
	if ((o = subobj(&c, j, "tcp", &rc))) {
		out->tcp.present = true;
		c.where = "tcp.";
		rc = get_fields(&c, o, tcp_fields, &out->tcp);
	}
	if (!rc && (o = subobj(&c, j, "tls", &rc)))
		rc = get_tls(&c, o, out);
	if (!rc && (o = subobj(&c, j, "ssh", &rc)))
		rc = get_ssh(&c, o, out);
	if (!rc && (o = subobj(&c, j, "http", &rc)))
		rc = get_http(&c, o, out);
	if (!rc && (o = subobj(&c, j, "banner", &rc))) {
		if (!(out->banner = bph_banner_info_new()))
			return BPH_ERR_NOMEM;
		c.where = "banner.";
		rc = get_fields(&c, o, banner_fields, out->banner);
	}
	return rc;
}

/* ---- the round trip without the tree ---- */

/* s as the writer's cleaning and the reader's cap give it back. */
static int norm_text(const char *s, char **dst)
{
	char *clean;

	if (bph_text_is_clean(s, BPH_TEXT_UTF8)) {
		*dst = bph_strndup_cap(s, strlen(s), BPH_JSON_STR_MAX);
		return *dst ? 0 : BPH_ERR_NOMEM;
	}
	clean = bph_text_clean(s, BPH_TEXT_UTF8);
	*dst = clean ? bph_strndup_cap(clean, strlen(clean), BPH_JSON_STR_MAX)
		     : NULL;
	free(clean);
	return *dst ? 0 : BPH_ERR_NOMEM;
}

/* A char[size] field: cleaned, and refused (as read_fixed refuses it)
 * when cleaning makes it too long or, for hex, when it is not hex. */
static int norm_fixed(const struct field *f, const char *src, char *dst)
{
	char *clean;
	size_t n;

	if (f->type == F_HEX) {
		for (n = 0; src[n]; n++) {
			if (!isxdigit((unsigned char)src[n]))
				return BPH_ERR_FORMAT;
			dst[n] = (char)tolower((unsigned char)src[n]);
		}
		dst[n] = '\0';
		return 0;
	}
	if (bph_text_is_clean(src, BPH_TEXT_UTF8)) {
		memcpy(dst, src, strlen(src) + 1);
		return 0;
	}
	if (!(clean = bph_text_clean(src, BPH_TEXT_UTF8)))
		return BPH_ERR_NOMEM;
	n = strlen(clean);
	if (n < f->size)
		memcpy(dst, clean, n + 1);
	free(clean);
	return n < f->size ? 0 : BPH_ERR_FORMAT;
}

static int norm_field(const struct field *f, const void *src, void *dst)
{
	const char *s = (const char *)src + f->off;
	char *d = (char *)dst + f->off;
	static const size_t width[] = {
	    [F_BOOL] = sizeof(bool),   [F_INT] = sizeof(int),
	    [F_I32] = sizeof(int32_t), [F_U8] = sizeof(uint8_t),
	    [F_I8] = sizeof(int8_t),   [F_U16] = sizeof(uint16_t),
	    [F_SIZE] = sizeof(size_t),
	};

	switch (f->type) {
	case F_STR: {
		const char *str = *(char *const *)s;
		return str && str[0] ? norm_text(str, (char **)d) : 0;
	}
	case F_FIX:
	case F_HEX:
		return s[0] ? norm_fixed(f, s, d) : 0;
	case F_SIZE: /* written as a json_int_t, refused when negative */
		if (*(const size_t *)s > (size_t)LLONG_MAX)
			return BPH_ERR_FORMAT;
		break;
	default:
		break;
	}
	memcpy(d, s, width[f->type]);
	return 0;
}

static int norm_fields(const struct field *tab, const void *src, void *dst)
{
	int rc = 0;

	for (const struct field *f = tab; !rc && f->name; f++)
		rc = norm_field(f, src, dst);
	return rc;
}

/* An array of strings: NULL entries become "", none at all NULL. */
static int norm_strv(char *const *v, size_t n, size_t max, char ***out,
		     size_t *n_out)
{
	int rc = 0;

	if (!n)
		return 0;
	if (n > max)
		return BPH_ERR_FORMAT;
	if (!(*out = calloc(n, sizeof(char *))))
		return BPH_ERR_NOMEM;
	*n_out = n;
	for (size_t i = 0; !rc && i < n; i++)
		rc = norm_text(v[i] ? v[i] : "", &(*out)[i]);
	return rc;
}

static int norm_tls(const struct bph_tls_info *t, struct bph_service *out)
{
	int rc;

	if (!(out->tls = bph_tls_info_new()))
		return BPH_ERR_NOMEM;
	rc = norm_fields(tls_fields, t, out->tls);
	return rc ? rc
		  : norm_strv(t->san, t->n_san, 4096, &out->tls->san,
			      &out->tls->n_san);
}

static int norm_hostkeys(const struct bph_ssh_info *s, struct bph_ssh_info *o)
{
	int rc = 0;

	if (!s->n_hostkeys)
		return 0;
	if (s->n_hostkeys > 64)
		return BPH_ERR_FORMAT;
	if (!(o->hostkeys = calloc(s->n_hostkeys, sizeof(*o->hostkeys))))
		return BPH_ERR_NOMEM;
	o->n_hostkeys = s->n_hostkeys;
	for (size_t i = 0; !rc && i < s->n_hostkeys; i++)
		rc = norm_fields(hostkey_fields, &s->hostkeys[i],
				 &o->hostkeys[i]);
	return rc;
}

static int norm_ssh(const struct bph_ssh_info *s, struct bph_service *out)
{
	struct bph_ssh_info *o = bph_ssh_info_new();
	int any_kex = 0, rc;

	if (!(out->ssh = o))
		return BPH_ERR_NOMEM;
	rc = norm_fields(ssh_fields, s, o);
	for (int i = 0; i < 10; i++)
		any_kex |= s->kexinit[i] != NULL;
	for (int i = 0; !rc && any_kex && i < 10; i++)
		rc = norm_text(s->kexinit[i] ? s->kexinit[i] : "",
			       &o->kexinit[i]);
	return rc ? rc : norm_hostkeys(s, o);
}

static int norm_http(const struct bph_http_info *h, struct bph_service *out)
{
	struct bph_http_info *o = bph_http_info_new();
	int rc;

	if (!(out->http = o))
		return BPH_ERR_NOMEM;
	rc = norm_fields(http_fields, h, o);
	o->has_favicon = h->has_favicon;
	o->favicon_mmh3 = h->has_favicon ? h->favicon_mmh3 : 0;
	return rc ? rc
		  : norm_strv(h->headers, h->n_headers, 1024, &o->headers,
			      &o->n_headers);
}

/* Head and tcp: the state by its name, seen as RFC 3339 can write and
 * strptime read it (years 0 to 9999), tcp only the fields written. */
static int norm_head(const struct bph_service *in, struct bph_service *out)
{
	out->ip = in->ip;
	out->port = in->port;
	out->state = strcmp(bph_state_name(in->state), "unknown")
			 ? in->state
			 : BPH_STATE_UNKNOWN;
	if (in->seen && ((long long)in->seen < -62167219200LL ||
			 (long long)in->seen > 253402300799LL))
		return BPH_ERR_FORMAT;
	out->seen = in->seen;
	if (in->tcp.present) {
		out->tcp.present = true;
		int rc = norm_fields(tcp_fields, &in->tcp, &out->tcp);
		if (rc)
			return rc;
	}
	return in->proto && in->proto[0] ? norm_text(in->proto, &out->proto)
					 : 0;
}

int bph_service_normalize(const struct bph_service *in, struct bph_service *out)
{
	int rc = norm_head(in, out);

	if (!rc && in->tls)
		rc = norm_tls(in->tls, out);
	if (!rc && in->ssh)
		rc = norm_ssh(in->ssh, out);
	if (!rc && in->http)
		rc = norm_http(in->http, out);
	if (!rc && in->banner) {
		if (!(out->banner = bph_banner_info_new()))
			return BPH_ERR_NOMEM;
		rc = norm_fields(banner_fields, in->banner, out->banner);
	}
	return rc;
}
