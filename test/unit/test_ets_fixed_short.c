/*
 * test_ets_fixed_short.c -- ets_fit (one fixed model) on series too short for that model, against R's
 * forecast 8.20 (test/ref/ets_fixed_short_ref.R: 3 shapes x n = 3, 5, 7, 9 x m = 1, 4, 12 x ten
 * models).  There R's ets(y, model, damped) fits HoltWintersZZ() by least squares whatever the error
 * type: Holt for a trended model, SES for ETS(*,N,N), the better of the two for a trendless seasonal
 * model whose seasonal start fails (fewer than 2m points).  Per fit: R's model (ETS(A,A,N) or
 * ETS(A,N,N); a Holt/SES tie within rounding is skipped), forecasts and 80/95 % bounds within SHORT_TOL
 * of R's (relative to max(|R's value|, R's 95 % half-width): R's L-BFGS-B tolerance, as in
 * test_ets_short.c).  And what is not implemented says so: a seasonal HoltWinters fit (n >= 2m) and the
 * exponential Holt of a multiplicative trend return -1 with a message.
 */
#include "ets_short_ref.h"
#include "unit.h"

#define NFIT 231
#define SHORT_TOL 1e-3

static ShortRef refs[NFIT];

int
main(void)
{
	int			nr = short_ref_load("ets_fixed_short_ref.csv", 1, refs, NFIT);
	double		worst = 0;

	if (nr != NFIT)
	{
		PLAN(1);
		CHECK(0, "test/ref/ets_fixed_short_ref.csv has %d fits (want %d)", nr, NFIT);
		return 1;
	}
	PLAN(2 * NFIT + 3);
	for (int i = 0; i < nr; i++)
	{
		const ShortRef *r = &refs[i];
		EtsModel	fit;
		char		desc[32],
					msg[128];
		double		dev;
		int			rc = ets_fit(r->y, r->n, r->m, r->model[0], r->model[1], r->model[2], r->damped,
								 &fit, msg, sizeof msg);

		if (rc != 0)
		{
			CHECK(0, "%s: fits (%s)", r->name, msg);
			SKIP(r->name, "no fit");
			continue;
		}
		ets_describe(&fit, desc, sizeof desc);
		if (strcmp(desc, r->method) != 0)
		{
			/* the better of Holt and SES: a tie within rounding is R's rounding to break */
			if (fabs(r->sigma2 - fit.sigma2) <= 1e-9 * fit.sigma2)
				SKIP(r->name, "Holt and SES tie: R's choice rests on rounding");
			else
				CHECK(0, "%s: %s, R %s", r->name, desc, r->method);
			SKIP(r->name, "another model than R's");
			ets_free(&fit);
			continue;
		}
		dev = short_ref_dev(&fit, r);
		worst = fmax(worst, dev);
		CHECK(1, "%s: %s as R", r->name, desc);
		CHECK(dev < SHORT_TOL, "%s: forecasts and bounds within %g of R's (%.1e)", r->name, SHORT_TOL, dev);
		ets_free(&fit);
	}
	printf("# largest relative deviation from R: %.2e\n", worst);
	{
		/* not implemented: R's seasonal HoltWinters fit (8 points, m = 4: two seasons) and its
		 * exponential Holt (ETS(M,M,N) on 5 points) */
		double		y[8] = {12, 15, 11, 9, 13, 16, 12, 10};
		EtsModel	fit;
		char		msg[128] = "";
		int			rc = ets_fit(y, 8, 4, 'A', 'N', 'A', 0, &fit, msg, sizeof msg);

		CHECK(rc == -1 && strstr(msg, "too few observations") != NULL, "ANA on 8 points, m = 4: -1 (%s)", msg);
		rc = ets_fit(y, 5, 1, 'M', 'M', 'N', 0, &fit, msg, sizeof msg);
		CHECK(rc == -1 && strstr(msg, "too few observations") != NULL, "MMN on 5 points: -1 (%s)", msg);
		/* the same ANA on 7 points (no two seasons): the better of Holt and SES, as R */
		rc = ets_fit(y, 7, 4, 'A', 'N', 'A', 0, &fit, msg, sizeof msg);
		CHECK(rc == 0 && fit.season == 'N' && fit.m == 1, "ANA on 7 points, m = 4: Holt or SES (%s)", rc ? msg : "fitted");
		if (rc == 0)
			ets_free(&fit);
	}
	return unit_failed ? 1 : 0;
}
