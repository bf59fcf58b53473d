/*
 * store_int.h - the store's private state, shared by the files of store/
 * and never included outside it (libpcap's pcap-int.h is the model). The
 * public contract is store/store.h.
 */
#ifndef BPH_STORE_STORE_INT_H
#define BPH_STORE_STORE_INT_H

#include <sqlite3.h>

struct bph_store {
	sqlite3 *db;
	sqlite3_stmt *ins_service, *ins_artifact;
};

#endif
