/*
 * intermittent.c -- Croston, SBA, TSB, the ADI / CV^2 classification and R's naive/snaive
 * (see intermittent.h).  Croston follows forecast::croston2: the non-zero demands y and the
 * intervals tt = diff(c(0, which(x > 0))) are each smoothed by HoltWintersZZ(alpha = 0.1,
 * beta = FALSE, gamma = FALSE), i.e. SES started at the first value; no demand at all gives 0,
 * a single demand gives y / tt.
 */
#include "intermittent.h"

#include <math.h>
#include <stdlib.h>

DemandClass
demand_classify(const double *y, int n, double *adi, double *cv2)
{
	int			k = 0;
	double		s = 0.0,
				ss = 0.0,
				mu;

	*adi = NAN;
	*cv2 = NAN;
	for (int i = 0; i < n; i++)
	{
		if (y[i] < 0)
			return DEMAND_NONE;
		if (y[i] > 0)
		{
			k++;
			s += y[i];
		}
	}
	if (k == 0)
		return DEMAND_NONE;
	mu = s / k;
	for (int i = 0; i < n; i++)
		if (y[i] > 0)
			ss += (y[i] - mu) * (y[i] - mu);
	*adi = (double) n / k;
	*cv2 = k > 1 ? (ss / (k - 1)) / (mu * mu) : 0.0;
	if (*adi < SB_ADI_CUT)
		return *cv2 < SB_CV2_CUT ? DEMAND_SMOOTH : DEMAND_ERRATIC;
	return *cv2 < SB_CV2_CUT ? DEMAND_INTERMITTENT : DEMAND_LUMPY;
}

const char *
demand_class_name(DemandClass c)
{
	switch (c)
	{
		case DEMAND_SMOOTH:
			return "smooth";
		case DEMAND_ERRATIC:
			return "erratic";
		case DEMAND_INTERMITTENT:
			return "intermittent";
		case DEMAND_LUMPY:
			return "lumpy";
		default:
			return "none";
	}
}

int
croston_forecast(const double *y, int n, int h, double alpha, int sba, double *mean)
{
	int			k = 0,
				last = 0;
	double		lz = 0.0,
				lp = 0.0,
				f;

	for (int i = 0; i < n; i++)
		if (y[i] < 0)
			return -1;
	/* one pass: SES of the sizes and of the intervals, each from its first value */
	for (int i = 0; i < n; i++)
		if (y[i] > 0)
		{
			double		tt = (double) (i + 1 - last);

			last = i + 1;
			if (k == 0)
			{
				lz = y[i];
				lp = tt;
			}
			lz = alpha * y[i] + (1 - alpha) * lz;
			lp = alpha * tt + (1 - alpha) * lp;
			k++;
		}
	if (k == 0)
		f = 0.0;
	else
		f = lz / lp;			/* one demand: lz = y, lp = tt */
	if (sba)
		f *= 1 - alpha / 2;
	for (int j = 0; j < h; j++)
		mean[j] = f;
	return 0;
}

int
tsb_forecast(const double *y, int n, int h, double alpha_size, double alpha_prob, double *mean)
{
	int			k = 0;
	double		z = 0.0,
				p,
				s = 0.0;

	for (int i = 0; i < n; i++)
	{
		if (y[i] < 0)
			return -1;
		if (y[i] > 0)
		{
			k++;
			s += y[i];
		}
	}
	if (k == 0 || n == 0)
	{
		for (int j = 0; j < h; j++)
			mean[j] = 0.0;
		return 0;
	}
	/* start: the mean size and the share of periods with demand (tsintermittent's "mean" init) */
	z = s / k;
	p = (double) k / n;
	for (int i = 0; i < n; i++)
	{
		if (y[i] > 0)
		{
			z += alpha_size * (y[i] - z);
			p += alpha_prob * (1 - p);
		}
		else
			p += alpha_prob * (0 - p);
	}
	for (int j = 0; j < h; j++)
		mean[j] = p * z;
	return 0;
}

void
lagwalk_forecast(const double *y, int n, int lag, int h, double *mean, double *se, double *sigma2)
{
	double		ss = 0.0,
				mse;
	int			cnt = 0;

	if (lag < 1)
		lag = 1;
	for (int i = lag; i < n; i++)
	{
		double		r = y[i] - y[i - lag];

		ss += r * r;
		cnt++;
	}
	mse = cnt > 0 ? ss / cnt : NAN;
	if (sigma2)
		*sigma2 = mse;
	for (int j = 0; j < h; j++)
	{
		int			step = j / lag + 1;
		int			src = n - lag + (j % lag);

		/* fewer than lag values: R's tail(fits, lag) has NAs there */
		mean[j] = src >= 0 ? y[src] : NAN;
		se[j] = sqrt(mse * step);
	}
}
