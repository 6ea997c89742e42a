/*
 * fuzz.h: what the libFuzzer targets share: CHECK(), which stops the run
 * with the failed invariant named, so libFuzzer saves the input as a
 * finding like any crash.
 */
#ifndef KD_FUZZ_H
#define KD_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
