/*
 * clv_glue.h -- internals of customer lifetime value's SQL glue, shared by clv_train.c
 * (reading the purchases, fitting, storing), clv_read.c (customer_value, clv_of,
 * clv_accuracy) and clv_model.c (the model's binary format and catalog lookup).  The
 * numerics are in core/clv.h.
 */
#ifndef MKTDB_CLV_GLUE_H
#define MKTDB_CLV_GLUE_H

#include "mktdb.h"

#include "fmgr.h"
#include "utils/date.h"

typedef struct ClvModel
{
	int			purchase_model;
	double		unit;
	DateADT		cal;
	bool		has_amount;
	double		par[4];
	double		loglik;
	double		gg[3];
	double		gg_loglik;
	int64		n;
	bool		int_keys;
	int64	   *ikeys;			/* int_keys */
	char	  **tkeys;			/* otherwise */
	int32	   *x;
	int32	   *tx;				/* days */
	int32	   *T;				/* days */
	double	   *m;				/* NaN: none */
	/* for clv_accuracy */
	char	   *source;
	char	   *customer_column;
	char	   *date_column;
} ClvModel;

/* clv_model.c */
bytea	   *clv_serialize(ClvModel *md);
void	   *clv_decode(bytea *blob, MemoryContext cxt);
char	   *clv_params_json(ClvModel *md);
const char *clv_model_name(int purchase_model);
ClvModel   *clv_get_model(FunctionCallInfo fcinfo);	/* argument 0: the model's name */

#endif
