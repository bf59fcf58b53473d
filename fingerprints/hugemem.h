/*
 * hugemem.h - memory hints for large arrays: transparent huge pages behind
 * one, and prefetching what a loop will read at random. Where the system leaves
 * them to madvise (Debian's default), a program whose arrays are hundreds of
 * MiB otherwise faults them in 4 KiB pages; on a virtual machine that was a
 * fifth to a half of `bphound diff`'s CPU time (docs/performance.md "Sweeps").
 */
#ifndef BPH_FINGERPRINTS_HUGEMEM_H
#define BPH_FINGERPRINTS_HUGEMEM_H

#include <stddef.h>

/* Arrays smaller than this are left alone (a huge page is 2 MiB). */
#define BPH_HUGE_MIN ((size_t)4 << 20)

/*
 * Marks the pages holding [p, p + len) for huge pages (madvise
 * MADV_HUGEPAGE) when len >= BPH_HUGE_MIN: a block malloc maps alone is
 * marked whole, so realloc still moves it without copying (mremap), and
 * the kernel uses huge pages for its aligned 2 MiB. A hint only, so
 * nothing is returned and any refusal (no THP, another OS) is ignored.
 * Call it after each malloc or realloc of a large array: a moved array
 * is new memory. NULL-safe.
 */
void bph_advise_huge(void *p, size_t len);

/*
 * A hint that the memory at p will be read soon: loops that read a large
 * array at random (a counter or a string of one artifact among millions)
 * ask BPH_AHEAD steps early, so that several cache misses are under way
 * at once. No effect where the compiler has no such builtin.
 */
#define BPH_AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define BPH_PREFETCH(p) __builtin_prefetch(p)
#else
#define BPH_PREFETCH(p) ((void)(p))
#endif

#endif
