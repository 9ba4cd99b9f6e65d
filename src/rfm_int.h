/*
 * rfm_int.h -- what the RFM glue files share:
 *   rfm_sql.c    mktdb.rfm_score and mktdb._rfm_train: arguments, training (ranking, thresholds,
 *                metrics, storing the model)
 *   rfm_input.c  reading the orders: a DestReceiver that aggregates them per customer in a C
 *                hash table, with exact (128-bit fixed point or numeric) sums; also the purchase
 *                reading shared with clv_train (purchase.h)
 *   rfm_model.c  the model's bytes, and reading them: mktdb.rfm_of
 */
#ifndef MKTDB_RFM_INT_H
#define MKTDB_RFM_INT_H

#include "purchase.h"

typedef enum
{
	AMT_INT2, AMT_INT4, AMT_INT8, AMT_NUMERIC
} AmountKind;

/* a parsed row waiting for its customer's slot (integer ids, fixed-point amounts) */
typedef struct RfmPending
{
	rfm_i128	amt;
	int64		key;
	DateADT		day;
	bool		have_amt;
} RfmPending;

#define RFM_BATCH 32

/* cut is the as_of day; cxt also holds the numeric sums */
typedef struct RfmReceiver
{
	MK_PURCHASE_RECEIVER_HEAD
	AmountKind	amount_kind;
	bool		numeric_mode;	/* slots hold Numeric sums (ptr) */
	bool		grouped;		/* rows are per-customer summaries (last day, sum, count) from the shards */
	int			npending;
	RfmPending	pending[RFM_BATCH];
} RfmReceiver;

void		rfm_receiver_init(RfmReceiver *rc, MemoryContext cxt);
void		rfm_receiver_flush(RfmReceiver *rc);

bytea	   *rfm_serialize(int bins, int64 n, int32 as_of_day, const int64 *r_thr, const int64 *f_thr,
						  const double *m_thr, char *const *m_thr_text);
Datum		rfm_cell_text(int r, int f, int m, int bins);

#endif
