/*
 * import_lines.c - JSON Lines imports (bphound records and ZGrab2 lines)
 * as a pipeline: the caller's thread cuts the stream into chunks of whole
 * lines, worker threads parse each chunk into a write batch and prepare
 * it (the CPU work, bph_wbatch_prepare), and the caller's thread writes
 * the batches in file order, one transaction each. Memory is bounded by the
 * chunks in flight. The import as a whole is in store_import.c; the contract in
 * store/store.h.
 */
#include "store/db_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/import_zgrab.h"

#define CHUNK	    (4u << 20)	/* bytes of whole lines per job */
#define MAX_LINE    (64u << 20) /* a longer line is skipped as bad */
#define MAX_WORKERS 8
#define CERT_SLOTS  4096 /* certificates a parser thread remembers */

#define JARENA_SIZE (1u << 20) /* bytes of one line's tree kept per thread */

/*
 * jansson's allocations while a parser thread parses one line come from
 * that thread's arena: a bump pointer into one block, emptied after the
 * line's tree is freed, instead of malloc and free for every value, key
 * and hash table (a tree is built and freed whole, line by line).
 * jansson's allocator hooks are process-wide and take no context, hence
 * the thread-local pointer: a thread without an arena (every thread but
 * the parsers) or a parser outside json_loadb gets malloc, an allocation
 * that does not fit the block gets malloc, and free() hands to free()
 * every pointer that is not inside the calling thread's block.
 */
struct jarena {
	char *block;
	size_t used;
	bool active;  /* inside json_loadb */
	bool spilled; /* the line's tree holds memory from malloc */
};

static _Thread_local struct jarena *tl_jarena;
static pthread_once_t jarena_once = PTHREAD_ONCE_INIT;

static void *jarena_malloc(size_t n)
{
	struct jarena *a = tl_jarena;
	size_t need = (n + 15) & ~(size_t)15; /* malloc's alignment */
	void *p;

	if (!a || !a->active)
		return malloc(n);
	if (need < n || JARENA_SIZE - a->used < need) {
		a->spilled = true;
		return malloc(n);
	}
	p = a->block + a->used;
	a->used += need;
	return p;
}

static void jarena_free(void *p)
{
	struct jarena *a = tl_jarena;

	if (a && (char *)p >= a->block && (char *)p < a->block + JARENA_SIZE)
		return; /* the block is emptied after the line */
	free(p);
}

static void jarena_install(void)
{
	json_set_alloc_funcs(jarena_malloc, jarena_free);
}

/* A tree of text like json_loadb's, allocated from a (may be NULL). */
static json_t *jarena_load(struct jarena *a, const char *text, size_t len,
			   json_error_t *jerr)
{
	json_t *js;

	if (a)
		a->active = true;
	js = json_loadb(text, len, 0, jerr);
	if (a)
		a->active = false;
	return js;
}

/* Frees the line's tree js (may be NULL): a tree wholly inside the block
 * goes with the block, without json_decref's walk (nothing keeps a
 * reference past the line); then the whole block is free again. */
static void jarena_drop(struct jarena *a, json_t *js)
{
	if (!a || a->spilled)
		json_decref(js);
	if (a) {
		a->used = 0;
		a->spilled = false;
	}
}

struct line_msg {
	size_t line; /* within the job, from 0 */
	char *text;
};

enum job_state { JOB_FREE, JOB_QUEUED, JOB_DONE };

struct job {
	char *buf;
	size_t len, cap;
	size_t n_lines; /* lines the chunk holds (set by the worker) */
	struct bph_wbatch *batch;
	struct line_msg *msgs;
	size_t n_msgs, cap_msgs;
	size_t records, bad;
	int rc; /* the worker's error (out of memory) */
	enum job_state state;
};

struct pipe {
	struct bph_import_run *run;
	struct bph_import_src *src;
	struct job jobs[MAX_WORKERS + 2];
	size_t n_jobs;
	pthread_t workers[MAX_WORKERS];
	size_t n_workers;
	pthread_mutex_t mu;
	pthread_cond_t queued, done;
	size_t next_parse; /* the next job a worker takes */
	size_t filled;	   /* jobs filled so far */
	bool stop;
	char *carry; /* the start of a line cut by the last chunk */
	size_t carry_len, carry_cap;
	bool eof, skipping; /* skipping: inside an over-long line */
};

static int add_msg(struct job *j, size_t line, const char *text)
{
	if (j->n_msgs == j->cap_msgs) {
		size_t cap = j->cap_msgs ? j->cap_msgs * 2 : 16;
		struct line_msg *m = realloc(j->msgs, cap * sizeof(*m));
		if (!m)
			return BPH_ERR_NOMEM;
		j->msgs = m;
		j->cap_msgs = cap;
	}
	if (!(j->msgs[j->n_msgs].text = strdup(text)))
		return BPH_ERR_NOMEM;
	j->msgs[j->n_msgs++].line = line;
	j->bad++;
	return 0;
}

/* bph_import_cb for ZGrab2 modules: into the job's batch. */
static int add_service(void *ctx, const struct bph_service *s)
{
	struct job *j = ctx;
	int rc = bph_wbatch_add(j->batch, s);

	j->records += rc == 0;
	return rc;
}

/* One ZGrab2 line: a bad line when nothing in it could be read. */
static int zgrab_line(struct job *j, struct bph_certcache *cc, const json_t *js,
		      size_t line)
{
	char msg[256] = "";
	size_t before = j->records, bad = 0;
	int rc =
	    bph_import_zgrab_cc(js, cc, add_service, j, &bad, msg, sizeof(msg));

	if (rc == BPH_ERR_FORMAT || (!rc && bad && j->records == before))
		return add_msg(j, line, msg);
	return rc;
}

/* What a parser thread keeps between lines. */
struct worker_ctx {
	struct bph_certcache *cc; /* NULL: every certificate is decoded */
	struct jarena *arena;	  /* NULL: jansson uses malloc */
};

/* Parses one non-blank line into the batch, or records why it is bad. */
static int parse_line(struct job *j, struct worker_ctx *w, const char *text,
		      size_t len, size_t line)
{
	struct bph_service s = {0};
	json_error_t jerr;
	json_t *js = jarena_load(w->arena, text, len, &jerr);
	char msg[256] = "";
	int rc;

	if (!js) {
		jarena_drop(w->arena, NULL);
		snprintf(msg, sizeof(msg), "column %d: %s", jerr.column,
			 jerr.text);
		/* jansson reports its own allocation failures as errors too */
		return strstr(jerr.text, "out of memory")
			   ? BPH_ERR_NOMEM
			   : add_msg(j, line, msg);
	}
	if (bph_import_is_zgrab(js)) {
		rc = zgrab_line(j, w->cc, js, line);
		jarena_drop(w->arena, js);
		return rc;
	}
	rc = bph_service_from_json(js, &s, msg, sizeof(msg));
	jarena_drop(w->arena, js);
	if (rc == BPH_ERR_FORMAT)
		rc = add_msg(j, line, msg);
	else if (!rc && !(rc = bph_wbatch_add(j->batch, &s)))
		j->records++;
	bph_service_clear(&s);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* The worker's part: every line of the chunk. */
static void parse_job(struct job *j, struct worker_ctx *w)
{
	const char *p = j->buf, *end = j->buf + j->len;

	while (p < end && !j->rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (!blank(p, n))
			j->rc = parse_line(j, w, p, n, j->n_lines);
		j->n_lines++;
		p += n + 1;
	}
	/* the batch's sorting and hashing here, beside the other parser,
	 * rather than in the writer thread, which bounds the import */
	if (!j->rc)
		j->rc = bph_wbatch_prepare(j->batch);
}

static void *worker(void *arg)
{
	struct pipe *pp = arg;
	/* without them (no memory) every certificate is decoded and
	 * jansson mallocs */
	struct worker_ctx w = {.cc = bph_certcache_new(CERT_SLOTS),
			       .arena = calloc(1, sizeof(struct jarena))};

	if (w.arena && !(w.arena->block = malloc(JARENA_SIZE))) {
		free(w.arena);
		w.arena = NULL;
	}
	tl_jarena = w.arena;

	pthread_mutex_lock(&pp->mu);
	for (;;) {
		while (!pp->stop && pp->next_parse == pp->filled)
			pthread_cond_wait(&pp->queued, &pp->mu);
		if (pp->stop && pp->next_parse == pp->filled)
			break;
		struct job *j = &pp->jobs[pp->next_parse++ % pp->n_jobs];
		pthread_mutex_unlock(&pp->mu);
		parse_job(j, &w);
		pthread_mutex_lock(&pp->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&pp->done);
	}
	pthread_mutex_unlock(&pp->mu);
	bph_certcache_free(w.cc);
	tl_jarena = NULL;
	if (w.arena)
		free(w.arena->block);
	free(w.arena);
	return NULL;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : CHUNK;
	while (ncap < need)
		ncap *= 2;
	char *nb = realloc(*buf, ncap);
	if (!nb)
		return BPH_ERR_NOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Discards the rest of an over-long line; the job then holds that line
 * as one bad line. */
static int skip_long_line(struct pipe *pp, struct job *j)
{
	char buf[65536];
	int rc = 0;

	pp->carry_len = 0;
	for (;;) {
		size_t got = bph_import_src_read(pp->src, buf, sizeof(buf));
		char *nl = got ? memchr(buf, '\n', got) : NULL;
		if (!got) {
			pp->eof = true;
			break;
		}
		if (nl) {
			size_t rest = got - (size_t)(nl + 1 - buf);
			rc = reserve(&pp->carry, &pp->carry_cap, rest);
			if (!rc)
				memcpy(pp->carry, nl + 1, rest);
			pp->carry_len = rc ? 0 : rest;
			break;
		}
	}
	/* the job holds the one bad line and no text: its worker (every
	 * job goes through one) must not parse the line's first 64 MiB as
	 * a second bad line */
	j->len = 0;
	j->n_lines = 1;
	return rc ? rc : add_msg(j, 0, "line longer than 64 MiB: skipped");
}

/* Fills j with whole lines: the carried part, then the stream up to the
 * last newline of a full chunk (or the end). */
static int fill_job(struct pipe *pp, struct job *j)
{
	int rc = reserve(&j->buf, &j->cap, CHUNK);
	char *nl;

	if (rc)
		return rc;
	if (pp->carry_len) /* carry is NULL before the first chunk */
		memcpy(j->buf, pp->carry, pp->carry_len);
	j->len = pp->carry_len;
	pp->carry_len = 0;
	for (;;) {
		size_t got = bph_import_src_read(pp->src, j->buf + j->len,
						 j->cap - j->len);
		j->len += got;
		if (!got) {
			pp->eof = true;
			return 0;
		}
		if (j->len < j->cap)
			continue;
		if ((nl = memrchr(j->buf, '\n', j->len)))
			break;
		if (j->cap >= MAX_LINE) /* one line fills the buffer */
			return skip_long_line(pp, j);
		if ((rc = reserve(&j->buf, &j->cap, j->cap * 2)))
			return rc;
	}
	pp->carry_len = j->len - (size_t)(nl + 1 - j->buf);
	if ((rc = reserve(&pp->carry, &pp->carry_cap, pp->carry_len)))
		return rc;
	memcpy(pp->carry, nl + 1, pp->carry_len);
	j->len -= pp->carry_len;
	return 0;
}

static void reset_job(struct job *j)
{
	for (size_t i = 0; i < j->n_msgs; i++)
		free(j->msgs[i].text);
	j->n_msgs = j->n_lines = j->records = j->bad = 0;
	j->len = 0;
	j->rc = 0;
	bph_wbatch_clear(j->batch);
}

/* Writes a parsed job (in file order) and reports its bad lines. */
static int write_job(struct pipe *pp, struct job *j, size_t *line_base)
{
	int rc = j->rc;

	for (size_t i = 0; i < j->n_msgs; i++)
		bph_import_report(pp->run, *line_base + j->msgs[i].line + 1,
				  j->msgs[i].text);
	*line_base += j->n_lines;
	if (!rc)
		rc = bph_import_commit(pp->run, j->batch, j->records, j->bad);
	reset_job(j);
	j->state = JOB_FREE;
	return rc;
}

/* Fills the next free job and hands it to the workers. */
static int submit(struct pipe *pp)
{
	struct job *j = &pp->jobs[pp->filled % pp->n_jobs];
	int rc = fill_job(pp, j);

	/* even an empty job goes through a worker, so that jobs finish in
	 * the order they were filled */
	pthread_mutex_lock(&pp->mu);
	j->state = JOB_QUEUED;
	pp->filled++;
	pthread_cond_broadcast(&pp->queued);
	pthread_mutex_unlock(&pp->mu);
	return rc;
}

static int run_pipe(struct pipe *pp)
{
	size_t written = 0, line_base = 0;
	int rc = 0;

	while (!rc && (!pp->eof || written < pp->filled)) {
		if (!pp->eof && pp->filled - written < pp->n_jobs) {
			rc = submit(pp);
			continue;
		}
		struct job *j = &pp->jobs[written % pp->n_jobs];
		pthread_mutex_lock(&pp->mu);
		while (j->state != JOB_DONE)
			pthread_cond_wait(&pp->done, &pp->mu);
		pthread_mutex_unlock(&pp->mu);
		rc = write_job(pp, j, &line_base);
		written++;
	}
	return rc;
}

static int pipe_init(struct pipe *pp, int threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = threads > 0 ? (size_t)threads : cpus > 0 ? (size_t)cpus : 1;

	pp->n_workers = n > MAX_WORKERS ? MAX_WORKERS : n;
	pp->n_jobs = pp->n_workers + 2;
	for (size_t i = 0; i < pp->n_jobs; i++)
		if (!(pp->jobs[i].batch = bph_wbatch_new()))
			return BPH_ERR_NOMEM;
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->queued, NULL);
	pthread_cond_init(&pp->done, NULL);
	json_object_seed(0); /* before any thread builds an object */
	pthread_once(&jarena_once, jarena_install);
	for (size_t i = 0; i < pp->n_workers; i++)
		if (pthread_create(&pp->workers[i], NULL, worker, pp)) {
			pp->n_workers = i;
			return i ? 0 : BPH_ERR_NOMEM;
		}
	return 0;
}

static void pipe_fini(struct pipe *pp)
{
	pthread_mutex_lock(&pp->mu);
	pp->stop = true;
	pp->next_parse = pp->filled; /* nothing more to parse */
	pthread_cond_broadcast(&pp->queued);
	pthread_mutex_unlock(&pp->mu);
	for (size_t i = 0; i < pp->n_workers; i++)
		pthread_join(pp->workers[i], NULL);
	for (size_t i = 0; i < pp->n_jobs; i++) {
		reset_job(&pp->jobs[i]);
		free(pp->jobs[i].buf);
		free(pp->jobs[i].msgs);
		bph_wbatch_free(pp->jobs[i].batch);
	}
	pthread_mutex_destroy(&pp->mu);
	pthread_cond_destroy(&pp->queued);
	pthread_cond_destroy(&pp->done);
	free(pp->carry);
}

int bph_import_lines(struct bph_import_run *run, struct bph_import_src *src,
		     int threads)
{
	struct pipe *pp = calloc(1, sizeof(*pp));
	int rc = pp ? 0 : BPH_ERR_NOMEM;

	if (!rc) {
		pp->run = run;
		pp->src = src;
		rc = pipe_init(pp, threads);
	}
	if (!rc)
		rc = run_pipe(pp);
	if (pp)
		pipe_fini(pp);
	free(pp);
	return rc;
}
