/* rng.h -- splitmix64 (Steele, Lea & Flood 2014): the seed expander every core uses, so seeds mean the same everywhere. */
#ifndef MKTDB_RNG_H
#define MKTDB_RNG_H

#include <stdint.h>

static inline uint64_t
mk_splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

#endif
