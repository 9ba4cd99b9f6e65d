/*
 * arima_batch.c -- fitting series the way a caller meets them: arima_fit_series() takes one
 * series with its fallbacks (no data, too short, constant, failed fit: the mean model of
 * arima_fit_mean), and arima_run_batch() / arima_run_batch_poll() fit many series on threads,
 * each thread with its own work buffer, stopped by a flag or by a poll function.  Pure C.
 */
#include "arima.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------- per-series entry point with fallbacks ---------- */

/* the mean model, computed directly (also for constant series, where ML has no optimum) */
void
arima_fit_mean(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean, double *fc_se,
		 ArimaResult *res, ArimaFallback fb)
{
	double		mean = 0.0,
				ss = 0.0,
				sd;
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(y[i]))
		{
			mean += y[i];
			m++;
		}
	mean /= m;
	if (!isfinite(mean))
	{
		/* the sum overflowed: a running mean does not */
		mean = 0.0;
		for (int i = 0, k = 0; i < n; i++)
			if (!isnan(y[i]))
				mean += (y[i] - mean) / ++k;
	}
	for (int i = 0; i < n; i++)
		if (!isnan(y[i]))
			ss += (y[i] - mean) * (y[i] - mean);
	sd = sqrt(ss / m);
	if (!isfinite(ss))
	{
		/* squares overflow (values beyond ~1e154) while the spread itself may not: scaled */
		double		scale = 0.0,
					t;

		for (int i = 0; i < n; i++)
			if (!isnan(y[i]))
				scale = fmax(scale, fabs(y[i] - mean));
		ss = 0.0;
		for (int i = 0; i < n; i++)
			if (!isnan(y[i]))
			{
				t = (y[i] - mean) / scale;
				ss += t * t;
			}
		sd = scale * sqrt(ss / m);
		ss = INFINITY;			/* sigma2 itself is not representable */
	}
	memset(res, 0, sizeof(*res));
	res->spec = (ArimaSpec) {0, 0, 0, 0, 0, 0, spec->s, 1, spec->method, 0, 0, 0, 0};
	res->fallback = fb;
	res->ncoef = 1;
	res->coef[0] = mean;
	res->sigma2 = ss / m;
	res->se[0] = isfinite(ss) ? sqrt(res->sigma2 / m) : sd / sqrt(m);
	res->n = n;
	res->n_used = m;
	if (res->sigma2 > 0.0)
	{
		res->loglik = -0.5 * m * (log(2 * M_PI * res->sigma2) + 1.0);
		res->aic = -2 * res->loglik + 4;
		res->aicc = (n - 3 > 0) ? res->aic + 12.0 / (n - 3) : NAN;
	}
	else
		res->loglik = res->aic = res->aicc = NAN;
	for (int i = 0; i < h; i++)
	{
		fc_mean[i] = mean;
		fc_se[i] = sd;
	}
	/* the last fallback: nothing simpler is left, so a mean or spread that overflows float8
	 * (values near 1e308) becomes a NaN standard error, which the caller turns into an error */
	if (!arima_forecast_finite(h, fc_mean, fc_se))
		for (int i = 0; i < h; i++)
			fc_se[i] = NAN;
}

int
arima_fit_series(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean,
				 double *fc_se, double *work, ArimaResult *res, const volatile int *cancel)
{
	int			m = 0,
				constant = 1,
				nd = spec->d + spec->s * spec->D,
				rc;
	double		first = NAN;

	for (int i = 0; i < n; i++)
		if (!isnan(y[i]))
		{
			if (m == 0)
				first = y[i];
			else if (y[i] != first)
				constant = 0;
			m++;
		}
	if (m == 0)
	{
		memset(res, 0, sizeof(*res));
		res->spec = (ArimaSpec) {0, 0, 0, 0, 0, 0, spec->s, 0, spec->method, 0, 0, 0, 0};
		res->fallback = ARIMA_FB_NO_DATA;
		res->n = n;
		res->sigma2 = res->loglik = res->aic = res->aicc = NAN;
		for (int i = 0; i < h; i++)
			fc_mean[i] = fc_se[i] = NAN;
		return ARIMA_OK;
	}
	if (m - nd < arima_ncoef(spec) + 2)
	{
		arima_fit_mean(y, n, spec, h, fc_mean, fc_se, res, ARIMA_FB_TOO_SHORT);
		return ARIMA_OK;
	}
	if (constant)
	{
		arima_fit_mean(y, n, spec, h, fc_mean, fc_se, res, ARIMA_FB_CONSTANT);
		return ARIMA_OK;
	}
	rc = arima_fit(y, n, spec, h, fc_mean, fc_se, work, res, cancel);
	if (rc == ARIMA_OK || rc == ARIMA_ECANCEL)
		return rc;

	/* the requested model failed: a random walk for a differenced model, else the mean */
	if (nd > 0 && m >= 3)
	{
		ArimaSpec	naive = {0, 1, 0, 0, 0, 0, spec->s, 0, spec->method, 0, 0, 0, 0};

		rc = arima_fit(y, n, &naive, h, fc_mean, fc_se, work, res, cancel);
		if (rc == ARIMA_ECANCEL)
			return rc;
		if (rc == ARIMA_OK)
		{
			res->fallback = ARIMA_FB_FAILED_NAIVE;
			return ARIMA_OK;
		}
	}
	arima_fit_mean(y, n, spec, h, fc_mean, fc_se, res, ARIMA_FB_FAILED_MEAN);
	return ARIMA_OK;
}

/* ---------- many series on threads ---------- */

typedef struct Batch
{
	ArimaBatchItem *items;
	int			count;
	ArimaSeriesFn fn;
	const void *arg;
	void	  **extras;
	int			h;
	const volatile int *cancel;
	pthread_mutex_t lock;
	int			next;			/* next item to take (under lock) */
	int			cancelled;
} Batch;

typedef struct BatchWorker
{
	Batch	   *b;
	double	   *work;
} BatchWorker;

static void *
batch_worker(void *arg)
{
	BatchWorker *w = arg;
	Batch	   *b = w->b;

	for (;;)
	{
		int			i;

		pthread_mutex_lock(&b->lock);
		i = (b->cancelled || (b->cancel && *b->cancel)) ? b->count : b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->count)
			break;
		if (b->fn(b->items[i].y, b->items[i].n, b->arg, b->h, b->items[i].fc_mean, b->items[i].fc_se,
				  w->work, &b->items[i].res, b->extras ? b->extras[i] : NULL, b->cancel) == ARIMA_ECANCEL)
		{
			pthread_mutex_lock(&b->lock);
			b->cancelled = 1;
			pthread_mutex_unlock(&b->lock);
			break;
		}
		b->items[i].done = 1;
	}
	return NULL;
}

static int
fixed_series_fn(const double *y, int n, const void *arg, int h, double *fc_mean, double *fc_se,
				double *work, ArimaResult *res, void *extra, const volatile int *cancel)
{
	(void) extra;
	return arima_fit_series(y, n, (const ArimaSpec *) arg, h, fc_mean, fc_se, work, res, cancel);
}

int
arima_fit_batch(ArimaBatchItem *items, int count, const ArimaSpec *spec, int h, int nthreads,
				double *work, size_t work_per_thread, const volatile int *cancel)
{
	return arima_run_batch(items, count, fixed_series_fn, spec, NULL, h, nthreads, work,
						   work_per_thread, cancel);
}

int
arima_run_batch(ArimaBatchItem *items, int count, ArimaSeriesFn fn, const void *arg, void **extras,
				int h, int nthreads, double *work, size_t work_per_thread, const volatile int *cancel)
{
	Batch		b;
	BatchWorker w[64];
	pthread_t	tid[64];
	int			started = 0,
				blas_threads;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if (nthreads > count)
		nthreads = count > 0 ? count : 1;
	b.items = items;
	b.count = count;
	b.fn = fn;
	b.arg = arg;
	b.extras = extras;
	b.h = h;
	b.cancel = cancel;
	b.next = 0;
	b.cancelled = 0;
	pthread_mutex_init(&b.lock, NULL);
	for (int i = 0; i < count; i++)
		items[i].done = 0;
	/* the LAPACK calls are on tiny matrices: OpenBLAS's own threads would only spin against ours */
	blas_threads = openblas_get_num_threads();
	if (blas_threads != 1)
		openblas_set_num_threads(1);
	for (int t = 0; t < nthreads; t++)
	{
		w[t].b = &b;
		w[t].work = work + (size_t) t * work_per_thread;
	}
	if (nthreads > 1)
	{
		sigset_t	all,
					old;

		/* workers start with every signal blocked: the caller's handlers stay on the caller's thread */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (int t = 1; t < nthreads; t++)
		{
			if (pthread_create(&tid[t], NULL, batch_worker, &w[t]) != 0)
				break;
			started++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	batch_worker(&w[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&b.lock);
	if (blas_threads != 1)
		openblas_set_num_threads(blas_threads);
	for (int i = 0; i < count; i++)
		if (!items[i].done)
			return ARIMA_ECANCEL;
	return ARIMA_OK;
}

/*
 * ---------- a batch stopped by a poll function ----------
 * The fits read a plain flag; a backend's stop requests are two flags (cancel and terminate)
 * behind a function.  So the batch runs on a runner thread (all signals blocked, its workers
 * too) while the calling thread, where the signal handlers run, calls poll() every 5 ms and
 * raises the fits' flag.  The waiting thread sleeps: no CPU taken from the workers.
 */
typedef struct PollRun
{
	ArimaBatchItem *items;
	int			count;
	ArimaSeriesFn fn;
	const void *arg;
	void	  **extras;
	int			h;
	int			nthreads;
	double	   *work;
	size_t		work_per_thread;
	volatile int stop;
	volatile int finished;
	int			rc;
} PollRun;

static void *
poll_runner(void *p)
{
	PollRun    *r = p;

	r->rc = arima_run_batch(r->items, r->count, r->fn, r->arg, r->extras, r->h, r->nthreads, r->work,
							r->work_per_thread, &r->stop);
	__atomic_store_n(&r->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

int
arima_run_batch_poll(ArimaBatchItem *items, int count, ArimaSeriesFn fn, const void *arg, void **extras,
					 int h, int nthreads, double *work, size_t work_per_thread, int (*poll) (void *),
					 void *poll_arg)
{
	PollRun		r = {items, count, fn ? fn : fixed_series_fn, arg, extras, h, nthreads, work,
	work_per_thread, 0, 0, ARIMA_OK};
	pthread_t	runner;
	sigset_t	all,
				old;
	int			created;

	if (!poll)
		return arima_run_batch(items, count, r.fn, arg, extras, h, nthreads, work, work_per_thread, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	created = pthread_create(&runner, NULL, poll_runner, &r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!created)				/* no thread to spare: poll only before the batch */
		return poll(poll_arg) ? ARIMA_ECANCEL
			: arima_run_batch(items, count, r.fn, arg, extras, h, nthreads, work, work_per_thread, NULL);
	while (!__atomic_load_n(&r.finished, __ATOMIC_ACQUIRE))
	{
		struct timespec ts = {0, 5000000};

		if (!r.stop && poll(poll_arg))
			r.stop = 1;
		nanosleep(&ts, NULL);
	}
	pthread_join(runner, NULL);
	return r.rc;
}
