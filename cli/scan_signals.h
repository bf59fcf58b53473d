/*
 * scan_signals.h - SIGINT and SIGTERM during a scan pipeline
 * (cli/scan_run.c): blocked in every thread of the run and read through a
 * signalfd, so that a stop at any stage (the SYN sweep, the probes after
 * it) ends the run with the resume hint instead of killing it.
 */
#ifndef BPH_CLI_SCAN_SIGNALS_H
#define BPH_CLI_SCAN_SIGNALS_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

struct bph_engine;

struct bph_scan_signals {
	sigset_t old_mask;
	struct sigaction old_int, old_term;
	int sfd;      /* signalfd of SIGINT and SIGTERM, -1: not watching */
	int stop_fd;  /* eventfd that ends the watcher thread */
	int signo;    /* the signal that came while the probes ran, or 0 */
	bool running; /* the watcher thread runs */
	pthread_t th;
	struct bph_engine *eng;
};

/*
 * Blocks SIGINT and SIGTERM in the calling thread (threads it starts
 * afterwards inherit that) with their disposition set to the default
 * meanwhile: one ignored at start (a background job of a script) would
 * never reach the signalfd, so Ctrl-C could not stop the run. Call before
 * any thread of the run starts. Returns 0 or BPH_ERR_IO.
 */
int bph_scan_signals_block(struct bph_scan_signals *s);

/*
 * Watches for the signals on a thread of its own while eng's probes
 * finish: the first one cancels eng (bph_engine_cancel) and is kept in
 * s->signo. Returns 0 or BPH_ERR_IO (nothing watched then).
 */
int bph_scan_signals_watch(struct bph_scan_signals *s, struct bph_engine *eng);

/* Stops the watcher thread (s->signo is final afterwards). */
void bph_scan_signals_unwatch(struct bph_scan_signals *s);

/*
 * Unwatches, discards a signal still pending (it came when the run's
 * results were being written: the run is complete) and restores the mask
 * and dispositions of bph_scan_signals_block.
 */
void bph_scan_signals_restore(struct bph_scan_signals *s);

#endif
