/*
 * intermittent.h -- forecasts for intermittent demand (many zero periods) and the naive
 * baselines, pure C:
 *   croston   exactly as R's forecast::croston(y, alpha = 0.1): SES (from the first value) of the
 *             non-zero demands and of the intervals between them, forecast = their ratio
 *   sba       Syntetos-Boylan approximation: croston * (1 - alpha / 2)
 *   tsb       Teunter-Syntetos-Babai (2011): SES of the demand probability every period and of
 *             the size when a demand occurs, forecast = probability * size
 *   naive, snaive  as R's forecast::naive / snaive (lagwalk): last value / last season, with R's
 *             standard errors
 * and the Syntetos-Boylan (2005) classification by ADI and CV^2.
 */
#ifndef MKTDB_INTERMITTENT_H
#define MKTDB_INTERMITTENT_H

#define CROSTON_ALPHA 0.1
#define TSB_ALPHA_SIZE 0.1
#define TSB_ALPHA_PROB 0.1
#define SB_ADI_CUT 1.32			/* Syntetos, Boylan & Croston (2005) */
#define SB_CV2_CUT 0.49

typedef enum DemandClass
{
	DEMAND_SMOOTH = 0,			/* ADI < 1.32, CV^2 < 0.49 */
	DEMAND_ERRATIC,				/* ADI < 1.32, CV^2 >= 0.49 */
	DEMAND_INTERMITTENT,		/* ADI >= 1.32, CV^2 < 0.49 */
	DEMAND_LUMPY,				/* ADI >= 1.32, CV^2 >= 0.49 */
	DEMAND_NONE					/* no positive demand, or negative values */
} DemandClass;

/* ADI = periods / demands (non-zero periods), CV^2 of the non-zero sizes (sd with n - 1; 0 for one) */
DemandClass demand_classify(const double *y, int n, double *adi, double *cv2);
const char *demand_class_name(DemandClass c);

/* -1 when y has a negative value (R stops), else 0; mean gets h values (NaN where R gives NA) */
int			croston_forecast(const double *y, int n, int h, double alpha, int sba, double *mean);
int			tsb_forecast(const double *y, int n, int h, double alpha_size, double alpha_prob, double *mean);

/* R's lagwalk(y, lag) forecasts: lag 1 naive, lag m snaive; se per step (NaN when undefined) */
void		lagwalk_forecast(const double *y, int n, int lag, int h, double *mean, double *se, double *sigma2);

#endif
