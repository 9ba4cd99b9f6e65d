/*
 * recommend_train.c -- mktdb.recommend_train: checks the arguments, reads the rows
 * (recommend_input.c), chooses the method ('auto': EASE when its n_items^2 work space fits
 * mktdb.ease_memory_limit, ALS otherwise) and the regularization (NULL: on a validation
 * split carved from the training data), fits (core/ease.c or core/als.c) and stores the model.
 */
#include "recommend.h"

#include <limits.h>
#include <math.h>

#include <cblas.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/als.h"
#include "core/ease.h"
#include "core/validate.h"

/* ---------------------------------------------------------------------------------------------
 * recommend_train
 * ------------------------------------------------------------------------------------------ */

/* validation users sampled for the choice of EASE's lambda and of ALS's regularization */
#define REC_VAL_USERS 5000
#define REC_ALS_VAL_USERS 2000
#define REC_MAX_NEIGHBORS 100000

typedef struct TrainArgs
{
	const char *name,
			   *source,
			   *user_col,
			   *item_col,
			   *weight_col,
			   *method,
			   *solver;
	int32		factors,
				iterations,
				seed,
				cg_steps,
				top_k,
				neighbors,
				min_buyers;
	bool		reg_given,
				freq_given;
	double		reg,
				alpha,
				freq;
} TrainArgs;

static void
bad_arg(const char *msg, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg), hint ? errhint("%s", hint) : 0));
}

/* every argument is read and checked before any work */
static void
train_args(FunctionCallInfo fcinfo, TrainArgs *a)
{
	static const char *const names[] = {"model", "source", "user_column", "item_column", "weight_column",
		"factors", "iterations", "regularization", "alpha", "seed", "method", "solver",
	"frequency_scaling", "cg_steps", "precompute_n", "neighbors", "min_buyers"};

	/*
	 * The 0.2.0 signature (14 arguments, no method, neighbors or min_buyers) still reaches this
	 * function until ALTER EXTENSION mktdb UPDATE: it trains ALS as it did.
	 */
	int			o = PG_NARGS() >= 17 ? 1 : 0;

	a->name = mk_arg_text(fcinfo, 0, "model");
	a->source = mk_arg_text(fcinfo, 1, "source");
	a->user_col = mk_arg_text(fcinfo, 2, "user_column");
	a->item_col = mk_arg_text(fcinfo, 3, "item_column");
	a->weight_col = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	/* NULL regularization / frequency_scaling: chosen on validation (see fit_als) */
	for (int k = 5; k < PG_NARGS(); k++)
		if (k != 7 && k != 11 + o)
			mk_arg_notnull(fcinfo, k, names[k < 10 || o ? k : k + 1]);
	a->factors = PG_GETARG_INT32(5);
	a->iterations = PG_GETARG_INT32(6);
	a->reg_given = !PG_ARGISNULL(7);
	a->reg = a->reg_given ? PG_GETARG_FLOAT8(7) : 0.0;
	a->alpha = PG_GETARG_FLOAT8(8);
	a->seed = PG_GETARG_INT32(9);
	a->method = o ? text_to_cstring(PG_GETARG_TEXT_PP(10)) : "als";
	a->solver = text_to_cstring(PG_GETARG_TEXT_PP(10 + o));
	a->freq_given = !PG_ARGISNULL(11 + o);
	a->freq = a->freq_given ? PG_GETARG_FLOAT8(11 + o) : 1.0;
	a->cg_steps = PG_GETARG_INT32(12 + o);
	a->top_k = PG_GETARG_INT32(13 + o);
	a->neighbors = o ? PG_GETARG_INT32(15) : 256;
	a->min_buyers = o ? PG_GETARG_INT32(16) : 1;

	mk_check_can_store(a->name, "recommender");
	if (a->weight_col != NULL && a->weight_col[0] == '\0')
		bad_arg("weight_column must name a column or be NULL", NULL);
	if (strcmp(a->method, "auto") != 0 && strcmp(a->method, "ease") != 0 && strcmp(a->method, "als") != 0)
		bad_arg(psprintf("method must be 'auto', 'ease' or 'als', not '%s'", a->method),
				"'auto' uses EASE when its item x item work space fits mktdb.ease_memory_limit, ALS otherwise.");
	if (a->factors < 1 || a->factors > REC_MAX_FACTORS)
		bad_arg(psprintf("factors must be between 1 and %d, not %d", REC_MAX_FACTORS, a->factors), NULL);
	if (a->iterations < 1 || a->iterations > 10000)
		bad_arg(psprintf("iterations must be between 1 and 10000, not %d", a->iterations), NULL);
	if (a->reg_given && (!isfinite(a->reg) || a->reg < 0))
		bad_arg(psprintf("regularization must be a finite number >= 0, not %g", a->reg),
				"NULL chooses it on a validation split of the training data.");
	if (a->reg_given && a->reg <= 0 && strcmp(a->method, "ease") == 0)
		bad_arg(psprintf("regularization must be > 0 for method 'ease', not %g", a->reg),
				"EASE inverts X'X + regularization * I; NULL chooses it on a validation split.");
	if (!isfinite(a->alpha) || a->alpha < 0)
		bad_arg(psprintf("alpha must be a finite number >= 0, not %g", a->alpha),
				"The confidence of an interaction is 1 + alpha * weight.");
	if (a->freq_given && (!isfinite(a->freq) || a->freq < 0 || a->freq > 1))
		bad_arg(psprintf("frequency_scaling must be between 0 and 1, not %g", a->freq),
				"0 regularizes every user and item alike; 1 scales it with their number of interactions; NULL chooses it with the regularization.");
	if (strcmp(a->solver, "cg") != 0 && strcmp(a->solver, "cholesky") != 0)
		bad_arg(psprintf("solver must be 'cg' or 'cholesky', not '%s'", a->solver), NULL);
	if (a->cg_steps < 1 || a->cg_steps > 1000)
		bad_arg(psprintf("cg_steps must be between 1 and 1000, not %d", a->cg_steps), NULL);
	if (a->top_k < 0 || a->top_k > REC_MAX_PRECOMPUTE)
		bad_arg(psprintf("precompute_n must be between 0 and %d, not %d", REC_MAX_PRECOMPUTE, a->top_k),
				"0 stores no precomputed recommendations; every call then scores all items.");
	if (a->neighbors < 1 || a->neighbors > REC_MAX_NEIGHBORS)
		bad_arg(psprintf("neighbors must be between 1 and %d, not %d", REC_MAX_NEIGHBORS, a->neighbors),
				"EASE keeps each item's strongest `neighbors` weights.");
	if (a->min_buyers < 1)
		bad_arg(psprintf("min_buyers must be at least 1, not %d", a->min_buyers),
				"Items with fewer distinct users than min_buyers are left out of the model.");
}

static void
fit_error(int rc, const char *what)
{
	if (rc == EASE_CANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("recommend_train canceled")));
	}
	if (rc == EASE_NOMEM)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory %s", what)));
	if (rc == EASE_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("X'X + regularization * I is not positive definite %s", what),
				 errhint("Use a larger regularization.")));
}

static void
als_error(int rc, const char *err)
{
	if (rc == ALS_CANCELLED)
		fit_error(EASE_CANCELLED, "");
	if (rc == ALS_NOMEM)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("%s", err)));
	if (rc == ALS_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err),
				 errhint("Use regularization > 0, or solver => 'cg'.")));
}

static double
ease_bytes(int64 n_items, int neighbors)
{
	return ease_work_bytes(n_items) + (double) n_items * Min(neighbors, n_items) * (sizeof(int32) + sizeof(float));
}

static const char *
fmt_bytes(double b)
{
	return b >= 1024.0 * 1024 * 1024 ? psprintf("%.1f GB", b / (1024.0 * 1024 * 1024))
		: psprintf("%.0f MB", ceil(b / (1024.0 * 1024)));
}

/* 'auto' -> EASE or ALS, with the reason (for metrics) */
static int
choose_method(const TrainArgs *a, const Prepared *pr, const char **reason)
{
	double		need = ease_bytes(pr->items.n, a->neighbors);
	double		limit = (double) mk_ease_memory_limit * 1024.0;

	if (strcmp(a->method, "als") == 0)
	{
		*reason = "method => 'als' given";
		return REC_METHOD_ALS;
	}
	if (strcmp(a->method, "ease") == 0)
	{
		if (need > limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("EASE needs %s of work memory for %lld items, over mktdb.ease_memory_limit (%s)",
							fmt_bytes(need), (long long) pr->items.n, fmt_bytes(limit)),
					 errhint("Raise mktdb.ease_memory_limit, raise min_buyers to leave out rare items, or use method => 'als'.")));
		*reason = "method => 'ease' given";
		return REC_METHOD_EASE;
	}
	if (a->reg_given && a->reg <= 0)
	{
		*reason = "regularization 0 given: EASE needs a positive one";
		return REC_METHOD_ALS;
	}
	if (need > limit)
	{
		*reason = psprintf("EASE would need %s for %lld items, over mktdb.ease_memory_limit (%s)",
						   fmt_bytes(need), (long long) pr->items.n, fmt_bytes(limit));
		return REC_METHOD_ALS;
	}
	*reason = psprintf("EASE fits: %s for %lld items, within mktdb.ease_memory_limit (%s)",
					   fmt_bytes(need), (long long) pr->items.n, fmt_bytes(limit));
	return REC_METHOD_EASE;
}

static void *
huge_alloc(double bytes, const char *what)
{
	void	   *p = palloc_extended((Size) Max(bytes, 8.0), MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);

	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory for %s (%s)", what, fmt_bytes(bytes)),
				 errhint("Lower mktdb.ease_memory_limit so that method 'auto' uses ALS, or use method => 'als'.")));
	return p;
}

/* "key": [v...] unless v is NULL */
static void
json_num_array(MkJson *mj, const char *key, const double *v, int n)
{
	if (v == NULL)
		return;
	mk_json_key(mj, key);
	mk_json_arr_open(mj);
	for (int k = 0; k < n; k++)
		mk_json_num(mj, v[k]);
	mk_json_arr_close(mj);
}

/* the validation grid's scores in metrics */
static void
json_validation(MkJson *mj, int max_users, const double *grid, const double *alphas, const double *freqs,
				const double *ndcg, int n, double ms)
{
	mk_json_key(mj, "validation");
	mk_json_obj_open(mj);
	mk_json_key(mj, "metric");
	mk_json_str(mj, "NDCG@10");
	mk_json_key(mj, "max_users");
	mk_json_int(mj, max_users);
	json_num_array(mj, "regularization", grid, n);
	json_num_array(mj, "alpha", alphas, n);
	json_num_array(mj, "frequency_scaling", freqs, n);
	json_num_array(mj, "ndcg", ndcg, n);
	mk_json_key(mj, "ms");
	mk_json_num(mj, ms);
	mk_json_obj_close(mj);
}

/* EASE: lambda (given or chosen on validation), B, pruned; its metrics go to *mj */
static void
fit_ease(const TrainArgs *a, const Prepared *pr, RecFit *fit, MkJson *mj)
{
	int64		n = pr->items.n;
	int			m = (int) Min((int64) a->neighbors, Max(n - 1, 1));
	double	   *G = huge_alloc((double) n * n * sizeof(double), "the EASE Gram matrix");
	double	   *B = huge_alloc((double) n * n * sizeof(double), "the EASE weights");
	double		lambda = a->reg;
	double		lambdas[EASE_GRID_MAX],
				ndcg[EASE_GRID_MAX];
	int			n_tried = 0;
	int			saved = als_blas_threads(mk_thread_count());
	int64	   *indptr;
	int32	   *cols;
	float	   *vals;
	int64		kept;
	int			rc;
	MkTime		t0 = mk_now();
	double		val_ms = 0.0,
				top_ms;

	if (!a->reg_given)
	{
		rc = ease_choose_lambda(&pr->ui, (uint64) (int64) a->seed, REC_VAL_USERS, G, B, lambdas, ndcg,
								&n_tried, &lambda, mk_cancel_poll, NULL);
		if (rc != EASE_OK)
			als_blas_threads(saved);
		fit_error(rc, "while choosing the regularization");
		val_ms = mk_ms_since(t0);
	}
	rc = ease_gram(&pr->ui, NULL, NULL, G, mk_cancel_poll, NULL);
	if (rc == EASE_OK)
		rc = ease_solve(G, n, lambda, B);
	als_blas_threads(saved);
	fit_error(rc, "for EASE");
	pfree(G);
	indptr = palloc_extended(sizeof(int64) * (n + 1), MCXT_ALLOC_HUGE);
	cols = palloc_extended(sizeof(int32) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	vals = palloc_extended(sizeof(float) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	kept = ease_prune(B, n, m, indptr, cols, vals);
	if (kept < 0)
		fit_error(EASE_NOMEM, "for the EASE weights");
	pfree(B);

	fit->method = REC_METHOD_EASE;
	fit->b_indptr = indptr;
	fit->b_cols = cols;
	fit->b_vals = vals;

	/* every user's best unseen items, for the online calls (the same scores and ties) */
	{
		int32	   *popular = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
		int32	   *rank_of = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
		int64	   *users_per_item = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
		int32	   *top;
		double	   *top_score;
		MkTime		t1 = mk_now();

		rec_popularity(pr, popular, users_per_item);
		for (int64 r = 0; r < n; r++)
			rank_of[popular[r]] = (int32) r;
		fit->top_k = (int32) Min((int64) a->top_k, n);
		top = palloc_extended(sizeof(int32) * Max(pr->users.n * fit->top_k, 1), MCXT_ALLOC_HUGE);
		top_score = palloc_extended(sizeof(double) * Max(pr->users.n * fit->top_k, 1), MCXT_ALLOC_HUGE);
		fit->top = top;
		fit->top_score = top_score;
		rc = ease_top_items(&pr->ui, indptr, cols, vals, popular, rank_of, fit->top_k, top, top_score,
							mk_cancel_poll, NULL);
		fit_error(rc, "for the precomputed recommendations");
		pfree(popular);
		pfree(rank_of);
		pfree(users_per_item);
		top_ms = mk_ms_since(t1);
	}

	mk_json_key(mj, "regularization");
	mk_json_num(mj, lambda);
	mk_json_key(mj, "regularization_source");
	mk_json_str(mj, a->reg_given ? "given" : "validation");
	if (!a->reg_given)
		json_validation(mj, REC_VAL_USERS, lambdas, NULL, NULL, ndcg, n_tried, val_ms);
	mk_json_key(mj, "neighbors");
	mk_json_int(mj, m);
	mk_json_key(mj, "weights_kept");
	mk_json_int(mj, kept);
	mk_json_key(mj, "ease_work_bytes");
	mk_json_num(mj, ease_bytes(n, a->neighbors));
	mk_json_key(mj, "precompute_n");
	mk_json_int(mj, fit->top_k);
	mk_json_key(mj, "precompute_ms");
	mk_json_num(mj, top_ms);
}

/* ALS with the given (or validated) regularization, and each user's precomputed best items */
static void
fit_als(const TrainArgs *a, const Prepared *pr, RecFit *fit, MkJson *mj)
{
	AlsParams	p;
	double	   *X,
			   *Y,
			   *loss;
	int32	   *top;
	int32		top_k = (int32) Min((int64) a->top_k, pr->items.n);
	char		err[256];
	int			rc;
	MkTime		t0 = mk_now();
	double		fit_ms,
				val_ms = 0.0;
	double		ndcg[ALS_VAL_GRID],
				regs[ALS_VAL_GRID],
				alphas[ALS_VAL_GRID],
				freqs[ALS_VAL_GRID];
	int			n_tried = 0;

	memset(&p, 0, sizeof(p));
	p.factors = a->factors;
	p.iterations = a->iterations;
	p.regularization = a->reg;
	p.alpha = a->alpha;
	p.reg_exponent = a->freq;
	p.seed = (uint64) (int64) a->seed;
	p.solver = strcmp(a->solver, "cholesky") == 0 ? ALS_SOLVER_CHOLESKY : ALS_SOLVER_CG;
	p.cg_steps = a->cg_steps;
	p.threads = mk_thread_count();
	p.blas_threads = mk_thread_count();
	p.interrupt = mk_cancel_poll;
	X = palloc_extended(sizeof(double) * pr->users.n * a->factors, MCXT_ALLOC_HUGE);
	Y = palloc_extended(sizeof(double) * pr->items.n * a->factors, MCXT_ALLOC_HUGE);
	loss = palloc(sizeof(double) * a->iterations);
	if (!a->reg_given)
	{
		rc = als_choose_regularization(&pr->ui, &p, !a->freq_given, REC_ALS_VAL_USERS, X, Y, regs, alphas, freqs,
									   ndcg, &n_tried, &p.regularization, &p.alpha, &p.reg_exponent, err,
									   sizeof(err));
		als_error(rc, err);
		val_ms = mk_ms_since(t0);
	}
	als_init_factors(p.seed, pr->users.n, pr->items.n, a->factors, X, Y);
	rc = als_fit(&pr->ui, &pr->iu, &p, X, Y, loss, err, sizeof(err));
	als_error(rc, err);
	fit_ms = mk_ms_since(t0) - val_ms;

	/* every user's best unseen items, for the online calls (exact: see als_top_items) */
	top = palloc_extended(sizeof(int32) * Max(pr->users.n * top_k, 1), MCXT_ALLOC_HUGE);
	rc = als_top_items(&pr->ui, X, Y, a->factors, top_k, mk_thread_count(), mk_cancel_poll, NULL, top);
	if (rc == ALS_CANCELLED)
		fit_error(EASE_CANCELLED, "");
	if (rc == ALS_NOMEM)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory for the precomputed recommendations")));

	fit->method = REC_METHOD_ALS;
	fit->f = a->factors;
	fit->X = X;
	fit->Y = Y;
	fit->top_k = top_k;
	fit->top = top;

	mk_json_key(mj, "regularization");
	mk_json_num(mj, p.regularization);
	mk_json_key(mj, "regularization_source");
	mk_json_str(mj, a->reg_given ? "given" : "validation");
	if (!a->reg_given)
		json_validation(mj, REC_ALS_VAL_USERS, regs, alphas, a->freq_given ? NULL : freqs, ndcg, n_tried, val_ms);
	mk_json_key(mj, "alpha");
	mk_json_num(mj, p.alpha);
	mk_json_key(mj, "frequency_scaling");
	mk_json_num(mj, p.reg_exponent);
	mk_json_key(mj, "loss");
	mk_json_arr_open(mj);
	for (int k = 0; k < a->iterations; k++)
		mk_json_num(mj, loss[k]);
	mk_json_arr_close(mj);
	mk_json_key(mj, "final_loss");
	mk_json_num(mj, loss[a->iterations - 1]);
	mk_json_key(mj, "threads");
	mk_json_int(mj, p.threads);
	mk_json_key(mj, "als_fit_ms");
	mk_json_num(mj, fit_ms);
	mk_json_key(mj, "precompute_n");
	mk_json_int(mj, top_k);
	mk_json_key(mj, "precompute_ms");
	mk_json_num(mj, mk_ms_since(t0) - fit_ms - val_ms);
}

/* the spec mktdb.retrain replays: the arguments as given (regularization NULL stays NULL) */
static char *
train_spec(const TrainArgs *a)
{
	MkJson		j;

	mk_json_begin(&j);
	mk_json_key(&j, "model");
	mk_json_str(&j, a->name);
	mk_json_key(&j, "source");
	mk_json_str(&j, a->source);
	mk_json_key(&j, "user_column");
	mk_json_str(&j, a->user_col);
	mk_json_key(&j, "item_column");
	mk_json_str(&j, a->item_col);
	mk_json_key(&j, "weight_column");
	mk_json_str(&j, a->weight_col);
	mk_json_key(&j, "factors");
	mk_json_int(&j, a->factors);
	mk_json_key(&j, "iterations");
	mk_json_int(&j, a->iterations);
	mk_json_key(&j, "regularization");
	if (a->reg_given)
		mk_json_num(&j, a->reg);
	else
		mk_json_null(&j);
	mk_json_key(&j, "alpha");
	mk_json_num(&j, a->alpha);
	mk_json_key(&j, "seed");
	mk_json_int(&j, a->seed);
	mk_json_key(&j, "method");
	mk_json_str(&j, a->method);
	mk_json_key(&j, "solver");
	mk_json_str(&j, a->solver);
	mk_json_key(&j, "frequency_scaling");
	if (a->freq_given)
		mk_json_num(&j, a->freq);
	else
		mk_json_null(&j);
	mk_json_key(&j, "cg_steps");
	mk_json_int(&j, a->cg_steps);
	mk_json_key(&j, "precompute_n");
	mk_json_int(&j, a->top_k);
	mk_json_key(&j, "neighbors");
	mk_json_int(&j, a->neighbors);
	mk_json_key(&j, "min_buyers");
	mk_json_int(&j, a->min_buyers);
	return mk_json_end(&j);
}

PG_FUNCTION_INFO_V1(mktdb_recommend_train);
Datum
mktdb_recommend_train(PG_FUNCTION_ARGS)
{
	TrainArgs	a;
	MemoryContext work,
				old;
	MkTime		t0 = mk_now();
	ReadStats	st;
	Prepared	pr;
	RecFit		fit;
	const char *reason;
	double		read_ms,
				train_ms;
	MkJson		metrics;
	bytea	   *blob;
	int32		version;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	/* checks */
	train_args(fcinfo, &a);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "recommend_train must return a row");
	tupdesc = BlessTupleDesc(tupdesc);
	work = AllocSetContextCreate(CurrentMemoryContext, "mktdb recommend_train", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	/* read */
	read_training_data(a.source, a.user_col, a.item_col, a.weight_col, a.min_buyers, work, &pr, &st);
	if (als_nnz(&pr.ui) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no interactions to train on"),
				 errdetail("%lld rows read; %lld with a NULL user, item or weight; %lld (user, item) pairs with weight 0; %lld items with fewer than %d users.",
						   (long long) st.rows_read, (long long) (st.null_user + st.null_item + st.null_weight),
						   (long long) pr.zero_pairs, (long long) pr.rare_items, a.min_buyers)));
	read_ms = mk_ms_since(t0);

	/* fit */
	memset(&fit, 0, sizeof(fit));
	fit.min_buyers = a.min_buyers;
	mk_json_begin(&metrics);
	mk_json_key(&metrics, "method");
	mk_json_str(&metrics, choose_method(&a, &pr, &reason) == REC_METHOD_EASE ? "ease" : "als");
	mk_json_key(&metrics, "method_reason");
	mk_json_str(&metrics, reason);
	if (choose_method(&a, &pr, &reason) == REC_METHOD_EASE)
		fit_ease(&a, &pr, &fit, &metrics);
	else
		fit_als(&a, &pr, &fit, &metrics);

	/* store */
	blob = serialize_model(&pr, &fit);
	train_ms = mk_ms_since(t0);
	mk_json_key(&metrics, "n_users");
	mk_json_int(&metrics, pr.users.n);
	mk_json_key(&metrics, "n_items");
	mk_json_int(&metrics, pr.items.n);
	mk_json_key(&metrics, "n_interactions");
	mk_json_int(&metrics, als_nnz(&pr.ui));
	mk_json_key(&metrics, "density");
	mk_json_num(&metrics, (double) als_nnz(&pr.ui) / ((double) pr.users.n * (double) pr.items.n));
	mk_json_key(&metrics, "rows_read");
	mk_json_int(&metrics, st.rows_read);
	mk_json_key(&metrics, "skipped_rows");
	mk_json_int(&metrics, st.null_user + st.null_item + st.null_weight);
	mk_json_key(&metrics, "skipped_null_user");
	mk_json_int(&metrics, st.null_user);
	mk_json_key(&metrics, "skipped_null_item");
	mk_json_int(&metrics, st.null_item);
	mk_json_key(&metrics, "skipped_null_weight");
	mk_json_int(&metrics, st.null_weight);
	mk_json_key(&metrics, "duplicate_rows_merged");
	mk_json_int(&metrics, pr.duplicates);
	mk_json_key(&metrics, "zero_weight_pairs");
	mk_json_int(&metrics, pr.zero_pairs);
	mk_json_key(&metrics, "min_buyers");
	mk_json_int(&metrics, a.min_buyers);
	mk_json_key(&metrics, "rare_items_left_out");
	mk_json_int(&metrics, pr.rare_items);
	mk_json_key(&metrics, "rare_pairs_left_out");
	mk_json_int(&metrics, pr.rare_pairs);
	mk_json_key(&metrics, "users_with_only_rare_items");
	mk_json_int(&metrics, pr.users_only_rare);
	mk_json_key(&metrics, "user_id_type");
	mk_json_str(&metrics, pr.users.type == REC_KEY_BIGINT ? "bigint" : "text");
	mk_json_key(&metrics, "item_id_type");
	mk_json_str(&metrics, pr.items.type == REC_KEY_BIGINT ? "bigint" : "text");
	mk_json_key(&metrics, "read_ms");
	mk_json_num(&metrics, read_ms);
	mk_json_key(&metrics, "fit_ms");
	mk_json_num(&metrics, train_ms - read_ms);
	mk_store_model(a.name, "recommender", train_spec(&a), mk_json_end(&metrics),
				   st.rows_read - (st.null_user + st.null_item + st.null_weight), train_ms, blob, &version);

	MemoryContextSwitchTo(old);
	values[0] = CStringGetTextDatum(a.name);
	values[1] = Int32GetDatum(version);
	values[2] = Int64GetDatum(pr.users.n);
	values[3] = Int64GetDatum(pr.items.n);
	values[4] = Int64GetDatum(als_nnz(&pr.ui));
	values[5] = Float8GetDatum(train_ms);
	{
		HeapTuple	tup = heap_form_tuple(tupdesc, values, nulls);

		MemoryContextDelete(work);
		PG_RETURN_DATUM(HeapTupleGetDatum(tup));
	}
}
