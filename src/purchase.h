/*
 * purchase.h -- reading purchases (customer, date, amount) into a per-customer table, shared
 * by mktdb.rfm_score (rfm_input.c, rfm_sql.c) and mktdb.clv_train (clv_train.c); the code
 * lives in rfm_input.c.  Each trainer's DestReceiver starts with MK_PURCHASE_RECEIVER_HEAD
 * (so its own code names the fields directly) and adds what it keeps per customer.
 */
#ifndef MKTDB_PURCHASE_H
#define MKTDB_PURCHASE_H

#include "mktdb.h"

#include "core/rfm.h"
#include "executor/tuptable.h"
#include "tcop/dest.h"
#include "utils/date.h"

/* the leading fields of a purchase-reading DestReceiver */
#define MK_PURCHASE_RECEIVER_HEAD \
	DestReceiver pub; \
	RfmTable	table;			/* customer -> slot */ \
	MemoryContext cxt;			/* the table, its arena and what the slots point to */ \
	bool		int_keys;		/* customers are int8 (else text) */ \
	bool		has_cut;		/* rows dated after cut are skipped */ \
	DateADT		cut; \
	uint64		seen;			/* rows received, for the interrupt poll */ \
	int64		rows_used; \
	int64		null_customer; \
	int64		null_date; \
	int64		after_cut; \
	int64		null_amount;

typedef struct MkPurchaseReceiver
{
MK_PURCHASE_RECEIVER_HEAD
} MkPurchaseReceiver;

/*
 * Sets the callbacks (receive; shutdown, or none when NULL) and allocates the customer table in
 * cxt; int_keys must be set.  pr is any receiver that starts with MK_PURCHASE_RECEIVER_HEAD.
 */
void		mk_purchase_receiver_init(MkPurchaseReceiver *pr, MemoryContext cxt,
									  bool (*receive) (TupleTableSlot *slot, DestReceiver *self),
									  void (*shutdown) (DestReceiver *self));

/* runs the query (read-only) with pr as its DestReceiver */
void		mk_purchase_read(MkPurchaseReceiver *pr, const char *query);

/*
 * One received row: polls for interrupts now and then, deforms the first natts values and
 * applies the skip rules (false: the row is skipped and counted): NULL customer, NULL date, a day
 * after cut when has_cut; ERROR on an infinite date.
 */
bool		mk_purchase_row(MkPurchaseReceiver *pr, TupleTableSlot *slot, int natts, DateADT *day);

/* the slot of the customer whose id (int8 or text, as pr->int_keys says) is key */
RfmSlot    *mk_purchase_slot(MkPurchaseReceiver *pr, Datum key);

/* a numeric amount as fixed point (mk_numeric_to_fixed): true when it fits; ERROR on NaN or infinity */
bool		mk_purchase_amount_fixed(Datum d, __int128 *amt);

/*
 * The date column's base type, from a tuple descriptor of (customer, date, ...); ERROR 42804
 * unless it is date, timestamp or timestamptz.
 */
Oid			mk_purchase_date_type(TupleDesc td, const char *date_column);

/*
 * A numeric datum as fixed point in units of 1e-16: 1 when it fits, 0 when it has more than 16
 * decimals or 20 integer digits, -1 for NaN and infinities.
 */
int			mk_numeric_to_fixed(Datum d, __int128 *out);

/* the spec keys rfm_score and clv_train share: the source and its columns */
void		mk_json_purchase_source(MkJson *j, const char *source, const char *customer_column,
									const char *date_column, const char *amount_column);

#endif
