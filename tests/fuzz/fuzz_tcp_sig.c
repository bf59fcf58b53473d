/* libFuzzer: SYN-ACK trait parser on arbitrary IPv4 bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/tcp_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_tcp_traits t;
	uint16_t syn_mss = 0;
	uint8_t *copy;

	if (size >= 2) {
		syn_mss = (uint16_t)(data[0] << 8 | data[1]);
		data += 2;
		size -= 2;
	}
	copy = malloc(size ? size : 1); /* exact-size heap copy for ASan */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (bph_tcp_traits_parse(copy, size, syn_mss, &t) == 0) {
		if (!t.present || strlen(t.sig) >= sizeof(t.sig) ||
		    strlen(t.options) >= sizeof(t.options))
			abort();
	}
	free(copy);
	return 0;
}
