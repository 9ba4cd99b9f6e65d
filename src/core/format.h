/*
 * format.h -- the mktdb binary model format, in pure C (no PostgreSQL headers).
 *
 * A model blob is a 24-byte header followed by a payload:
 *   magic "MKDB" | u16 format version | u16 kind | u64 payload length | u32 CRC-32C of payload | u32 reserved (0)
 * All integers are little-endian.  The payload is a sequence of typed fields
 * written by the mkf_put_* helpers and read back by the bounds-checked mkf_get_*
 * helpers.  Readers never trust a length: every count is checked against the
 * bytes that remain before anything is allocated.
 */
#ifndef MKTDB_FORMAT_H
#define MKTDB_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define MKF_MAGIC "MKDB"
#define MKF_VERSION 1
#define MKF_HEADER_SIZE 24

typedef enum MkfKind
{
	MKF_KIND_KMEANS = 1,
	MKF_KIND_RFM = 2,
	MKF_KIND_ARIMA = 3,
	MKF_KIND_RECOMMENDER = 4,
	MKF_KIND_FORECAST = 5,		/* mktdb.forecast (ETS, Theta, intermittent, combinations) */
	MKF_KIND_CLV = 6,			/* mktdb.clv_train (BG/NBD, Pareto/NBD, Gamma-Gamma) */
	MKF_KIND_TEST = 99			/* used by the regression tests of the format itself */
} MkfKind;

uint32_t	mkf_crc32c(uint32_t crc, const void *data, size_t len);

/* Writes the header for a payload of len bytes into out[MKF_HEADER_SIZE]. */
void		mkf_write_header(unsigned char *out, uint16_t kind, const void *payload, uint64_t len);

/*
 * Checks a blob: size, magic, version, kind (0 = any), length and CRC.
 * Returns NULL when valid, else a short English reason.
 */
const char *mkf_check(const void *blob, size_t len, uint16_t expected_kind, uint16_t *kind_out,
					  uint16_t *version_out);

/* Bounds-checked sequential reader over a payload.  After an error every get returns 0 and err is set. */
typedef struct MkfReader
{
	const unsigned char *p;
	const unsigned char *end;
	const char *err;			/* NULL while everything read was in bounds */
} MkfReader;

void		mkf_reader_init(MkfReader *r, const void *payload, size_t len);
int32_t		mkf_get_i32(MkfReader *r);
int64_t		mkf_get_i64(MkfReader *r);
double		mkf_get_f64(MkfReader *r);

/*
 * Reads an element count written by mkf_put_count and checks that count * elem_size
 * bytes follow (elem_size 0: no check) and that count <= max_count.  Returns -1 on error.
 */
int64_t		mkf_get_count(MkfReader *r, size_t elem_size, int64_t max_count);

/* Copies n elements into dst (which the caller sized from mkf_get_count). */
void		mkf_get_f64s(MkfReader *r, double *dst, int64_t n);
void		mkf_get_i32s(MkfReader *r, int32_t *dst, int64_t n);
void		mkf_get_i64s(MkfReader *r, int64_t *dst, int64_t n);
/* Returns a pointer into the payload to n raw bytes (not NUL-terminated), or NULL. */
const char *mkf_get_raw(MkfReader *r, int64_t n);
/* True when the whole payload was consumed without error. */
int			mkf_reader_done(MkfReader *r);

/* Encoding helpers for writers: little-endian stores into a caller buffer. */
void		mkf_store_i32(unsigned char *dst, int32_t v);
void		mkf_store_i64(unsigned char *dst, int64_t v);
void		mkf_store_f64(unsigned char *dst, double v);

#endif
