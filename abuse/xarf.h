/*
 * xarf.h - one XARF v4 report per host (https://xarf.org, schema
 * xarf-v4-master.json 4.x): the reporter, the host and its first port,
 * the category and type of the report type, when it was seen, a
 * description of why it is linked, tags, and the host's observations as
 * a text/csv evidence item with its SHA-256. Fields in docs/output.md
 * "Abuse reports".
 */
#ifndef BPH_ABUSE_XARF_H
#define BPH_ABUSE_XARF_H

#include <jansson.h>

#include "abuse/report.h"

#define BPH_XARF_VERSION "4.2.0"

/*
 * The XARF report of host h of k, with report_id (a UUID) and o (borrowed;
 * o->contact checked by the caller). A new JSON object (caller decrefs),
 * NULL on allocation failure.
 */
json_t *bph_xarf_host(const struct bph_abuse_case *k, size_t h,
		      const struct bph_report_opts *o, const char *report_id);

#endif
