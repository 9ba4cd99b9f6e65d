/*
 * test_clv.c -- unit tests of core/hyp2f1.c and the clv_*.c core: 2F1 against mpmath (40
 * digits) including arguments near 1, digamma and trigamma, the BG/NBD and Gamma-Gamma
 * gradients and Hessians against central differences, the tabled BG/NBD likelihood against
 * the per-customer formula, BG/NBD's limit a + b -> infinity against large finite a + b,
 * P(alive) limits, and 100,000 synthetic customers (test/ref/clv_synth.csv, drawn by
 * test/ref/clv_ref.py from known parameters in continuous time): the fit equals scipy's to
 * 1e-8 relative, is the same bit for bit on 1 and 2 threads, and recovers every true
 * parameter within 3 standard errors (from the inverse of the observed information).
 */
#include "core/clv.h"
#include "core/clv_int.h"
#include "core/hyp2f1.h"
#include "unit.h"
#include "../ref/clv_ref.h"
#include "../ref/clv_ref_formulas.h"
#include "../ref/clv_ref_pnbd.h"

#include <stdlib.h>
#include <string.h>

static const double H2F1[][5] = {
	{1, 1, 2, 0.5, 1.3862943611198906188},
	{2.3, 1.7, 4.1, 0.95, 7.6242579540847830489},
	{2.3, 1.7, 4.0, 0.999, 28.117268112106307531},
	{1.5, 2, 3.5, 0.99999, 37.123281783287287434},
	{0.5, 0.5, 1.5, -0.9, 0.89030530707748936293},
	{3.2, 1.1, 4.2, 0.97, 8.876535218434573465},
	{0.7, 4.5, 2.2, 0.3, 1.7473313977690025134},
	{10.5, 1.3, 11.5, 0.9995, 254.0541435982230193},
	{0.25, 3.5, 2.05, 0.6, 1.6318082663059181694},
	{5.0, 2.0, 1.5, -0.3, 0.14693372359181886104},
};
#define N_H2F1 ((int) (sizeof(H2F1) / sizeof(H2F1[0])))
#define N_REF_F ((int) (sizeof(REF_F) / sizeof(REF_F[0])))

static int
read_synth(const char *path, int32_t **x, int32_t **tx, int32_t **T)
{
	FILE	   *f = fopen(path, "r");
	char		line[128];
	int			n = 0,
				cap = 131072;

	if (f == NULL)
		return -1;
	*x = malloc(cap * sizeof(int32_t));
	*tx = malloc(cap * sizeof(int32_t));
	*T = malloc(cap * sizeof(int32_t));
	if (fgets(line, sizeof(line), f) == NULL)
		n = -1;
	while (n >= 0 && n < cap && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d,%d,%d", &(*x)[n], &(*tx)[n], &(*T)[n]) == 3)
			n++;
	fclose(f);
	return n;
}

/* inverse of a 4 x 4 matrix (Gauss-Jordan with partial pivoting); 0 or -1 singular */
static int
invert4(const double *A0, double *inv)
{
	double		A[16];

	memcpy(A, A0, sizeof(A));
	memset(inv, 0, sizeof(double) * 16);
	for (int i = 0; i < 4; i++)
		inv[i * 4 + i] = 1;
	for (int k = 0; k < 4; k++)
	{
		int			piv = k;
		double		d;

		for (int i = k + 1; i < 4; i++)
			if (fabs(A[i * 4 + k]) > fabs(A[piv * 4 + k]))
				piv = i;
		for (int j = 0; j < 4; j++)
		{
			double		t = A[k * 4 + j],
						u = inv[k * 4 + j];

			A[k * 4 + j] = A[piv * 4 + j];
			A[piv * 4 + j] = t;
			inv[k * 4 + j] = inv[piv * 4 + j];
			inv[piv * 4 + j] = u;
		}
		d = A[k * 4 + k];
		if (d == 0)
			return -1;
		for (int j = 0; j < 4; j++)
		{
			A[k * 4 + j] /= d;
			inv[k * 4 + j] /= d;
		}
		for (int i = 0; i < 4; i++)
			if (i != k)
			{
				double		f = A[i * 4 + k];

				for (int j = 0; j < 4; j++)
				{
					A[i * 4 + j] -= f * A[k * 4 + j];
					inv[i * 4 + j] -= f * inv[k * 4 + j];
				}
			}
	}
	return 0;
}

int
main(void)
{
	PLAN(N_H2F1 + 3 + 2 + 4 + 1 + 1 + 1 + 3 + 3 + 1 + 4 + 10 + 3 * N_REF_F + 2 + 2 + 1 + 2 + N_REF_F);

	for (int i = 0; i < N_H2F1; i++)
	{
		double		f = NAN;
		int			rc = hyp2f1(H2F1[i][0], H2F1[i][1], H2F1[i][2], H2F1[i][3], &f);

		CHECK(rc == 0 && fabs(f / H2F1[i][4] - 1) < 1e-10, "2F1(%g, %g; %g; %g) = %.17g (mpmath %.17g)",
			  H2F1[i][0], H2F1[i][1], H2F1[i][2], H2F1[i][3], f, H2F1[i][4]);
	}
	CHECK_NEAR(clv_digamma(0.5), -1.9635100260214234794, 1e-13, "digamma(0.5)");
	CHECK_NEAR(clv_digamma(3.7), 1.1671535393615114409, 1e-13, "digamma(3.7)");
	CHECK_NEAR(clv_digamma(-1.3), 2.8825405488661673038, 1e-12, "digamma(-1.3)");
	CHECK_NEAR(clv_trigamma(0.5), M_PI * M_PI / 2, 1e-13, "trigamma(0.5) = pi^2 / 2");
	CHECK_NEAR(clv_trigamma(1.0), M_PI * M_PI / 6, 1e-13, "trigamma(1) = pi^2 / 6");

	{
		/* a small BG/NBD problem: gradient against central differences of the log-likelihood */
		int32_t		x[] = {0, 1, 3, 7, 0, 2, 12, 1},
					tx[] = {0, 10, 40, 90, 0, 70, 160, 3},
					T[] = {20, 30, 100, 120, 200, 80, 170, 3};
		ClvCustomers c = {8, x, tx, T, 7.0};
		double		p[4] = {0.7, 3.1, 0.9, 2.4},
					g[4];
		static const char *const names[] = {"r", "alpha", "a", "b"};

		(void) clv_loglik(CLV_BGNBD, p, &c, g);
		for (int k = 0; k < 4; k++)
		{
			double		q[4],
						h = 1e-6,
						up,
						dn;

			memcpy(q, p, sizeof(q));
			q[k] = p[k] * exp(h);
			up = clv_loglik(CLV_BGNBD, q, &c, NULL);
			q[k] = p[k] * exp(-h);
			dn = clv_loglik(CLV_BGNBD, q, &c, NULL);
			CHECK_NEAR(g[k], (up - dn) / (2 * h), 1e-7 * (1 + fabs(g[k])), "BG/NBD d loglik / d log %s", names[k]);
		}
		{
			/* the analytic Hessian against central differences of the analytic gradient */
			double		H[16],
						worst = 0,
						h = 1e-5;

			(void) clv_loglik2(CLV_BGNBD, p, &c, NULL, H);
			for (int j = 0; j < 4; j++)
			{
				double		q[4],
							gp[4],
							gm[4];

				memcpy(q, p, sizeof(q));
				q[j] = p[j] * exp(h);
				clv_loglik(CLV_BGNBD, q, &c, gp);
				q[j] = p[j] * exp(-h);
				clv_loglik(CLV_BGNBD, q, &c, gm);
				for (int i = 0; i < 4; i++)
					if (fabs(H[i * 4 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 4 + j])) > worst)
						worst = fabs(H[i * 4 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 4 + j]));
			}
			CHECK(worst < 1e-7, "BG/NBD Hessian in log-parameters = differences of the gradient (worst %.1e)", worst);
		}
		{
			/*
			 * a + b >= CLV_AB_LIMIT is the limit a + b -> infinity: the likelihood and scores
			 * there against the finite formulas at a + b = 1e8 (which differ by O(x / (a + b)))
			 */
			double		pl[4] = {0.7, 3.1, 0.02 * CLV_AB_REPORT, 0.98 * CLV_AB_REPORT},
						pf[4] = {0.7, 3.1, 0.02 * 1e8, 0.98 * 1e8};
			double		l0 = clv_loglik(CLV_BGNBD, pl, &c, NULL),
						l1 = clv_loglik(CLV_BGNBD, pf, &c, NULL);
			double		e0 = clv_expected(CLV_BGNBD, pl, 7, 90, 120, 52),
						e1 = clv_expected(CLV_BGNBD, pf, 7, 90, 120, 52);
			double		a0 = clv_p_alive(CLV_BGNBD, pl, 7, 90, 120),
						a1 = clv_p_alive(CLV_BGNBD, pf, 7, 90, 120);

			CHECK(fabs(l0 / l1 - 1) < 1e-7 && fabs(e0 / e1 - 1) < 1e-6 && fabs(a0 / a1 - 1) < 1e-6,
				  "BG/NBD at a + b -> infinity = at a + b = 1e8: loglik %.10g / %.10g, E[X(52)] %.8g / %.8g, P(alive) %.8g / %.8g",
				  l0, l1, e0, e1, a0, a1);
		}
		{
			double		sum = 0;

			for (int i = 0; i < 8; i++)
				sum += clv_loglik_one(CLV_BGNBD, p, x[i], tx[i] / 7.0, T[i] / 7.0);
			CHECK_NEAR(clv_loglik(CLV_BGNBD, p, &c, NULL), sum, 1e-10 * fabs(sum),
					   "tabled BG/NBD log-likelihood = sum of the per-customer formula");
		}
		/* P(alive) limits */
		CHECK(clv_p_alive(CLV_BGNBD, p, 0, 0, 50) == 1.0, "BG/NBD P(alive | x = 0) = 1");
		{
			double		pp[4] = {0.55, 10.6, 0.61, 11.7};

			CHECK_NEAR(clv_p_alive(CLV_PARETO, pp, 4, 20, 20), 1.0, 1e-15,
					   "Pareto/NBD P(alive | t_x = T) = 1");
			CHECK(clv_p_alive(CLV_PARETO, pp, 4, 1, 60) < clv_p_alive(CLV_PARETO, pp, 4, 50, 60),
				  "Pareto/NBD P(alive) grows with recency");
		}
	}
	{
		/*
		 * Pareto/NBD by quadrature (clv_pnbd.c): the sum against the per-customer 2F1 formula
		 * (both branches), gradient and Hessian against central differences, for the four
		 * parameters and the limit s, beta -> infinity; the limit against s = 1e8
		 */
		int32_t		x[] = {0, 1, 3, 7, 0, 2, 12, 1, 40},
					tx[] = {0, 10, 40, 90, 0, 70, 160, 3, 150},
					T[] = {20, 30, 100, 120, 200, 80, 170, 3, 160};
		ClvCustomers c = {9, x, tx, T, 7.0, 1, NULL};
		double		pn[2][4] = {{0.55, 10.6, 0.61, 11.7}, {0.55, 11.7, 0.61, 10.6}};

		for (int b = 0; b < 2; b++)
		{
			double		sum = 0,
						l = clv_loglik(CLV_PARETO, pn[b], &c, NULL);

			for (int i = 0; i < 9; i++)
				sum += clv_loglik_one(CLV_PARETO, pn[b], x[i], tx[i] / 7.0, T[i] / 7.0);
			CHECK(fabs(l / sum - 1) < 1e-13, "Pareto/NBD (alpha %s beta) by quadrature %.15g = by 2F1 %.15g",
				  b ? ">" : "<", l, sum);
		}
		for (int lim = 0; lim < 2; lim++)
		{
			double		p[4] = {0.55, 10.6, lim ? 0.052 : 0.61, lim ? 0 : 11.7},
						g[4],
						H[16],
						gworst = 0,
						hworst = 0;
			int			np = lim ? 3 : 4;

			(void) clv_pnbd_loglik(p, lim, &c, g, H, NULL);
			for (int j = 0; j < np; j++)
			{
				double		q[4],
							gp[4],
							gm[4],
							h = 1e-5;
				double		up,
							dn;

				memcpy(q, p, sizeof(q));
				q[j] = p[j] * exp(h);
				up = clv_pnbd_loglik(q, lim, &c, gp, NULL, NULL);
				q[j] = p[j] * exp(-h);
				dn = clv_pnbd_loglik(q, lim, &c, gm, NULL, NULL);
				if (fabs(g[j] - (up - dn) / (2 * h)) / (1 + fabs(g[j])) > gworst)
					gworst = fabs(g[j] - (up - dn) / (2 * h)) / (1 + fabs(g[j]));
				for (int i = 0; i < np; i++)
					if (fabs(H[i * 4 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 4 + j])) > hworst)
						hworst = fabs(H[i * 4 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 4 + j]));
			}
			CHECK(gworst < 1e-8 && hworst < 1e-7,
				  "Pareto/NBD%s gradient and Hessian in log-parameters = central differences (worst %.1e, %.1e)",
				  lim ? " limit" : "", gworst, hworst);
		}
		{
			double		pl[4] = {0.55, 10.6, CLV_S_REPORT, CLV_S_REPORT / 0.052},
						pf[4] = {0.55, 10.6, 1e8, 1e8 / 0.052};
			double		l0 = clv_loglik(CLV_PARETO, pl, &c, NULL),
						l1 = clv_loglik(CLV_PARETO, pf, &c, NULL);
			double		e0 = clv_expected(CLV_PARETO, pl, 7, 90 / 7.0, 120 / 7.0, 52),
						e1 = clv_expected(CLV_PARETO, pf, 7, 90 / 7.0, 120 / 7.0, 52);

			CHECK(fabs(l0 / l1 - 1) < 1e-7 && fabs(e0 / e1 - 1) < 1e-6,
				  "Pareto/NBD at s -> infinity = at s = 1e8 (beta = s / mu): loglik %.10g / %.10g, E[X(52)] %.8g / %.8g",
				  l0, l1, e0, e1);
		}
	}
	{
		/*
		 * 10,000 synthetic Pareto/NBD customers (test/ref/clv_ref_pnbd_synth.py): dropout
		 * rates that differ, so the four-parameter fit, not the limit; equal to scipy's
		 */
		int32_t    *x = NULL,
				   *tx = NULL,
				   *T = NULL;
		int			n = read_synth("../ref/clv_synth_pnbd.csv", &x, &tx, &T);

		if (n == 10000)
		{
			ClvCustomers c = {n, x, tx, T, REF_SYNTH_TICKS, 2, NULL};
			double		par[4],
						ll,
						worst = 0;
			char		msg[200] = "";
			ClvFitInfo	fi;
			int			rc = clv_fit(CLV_PARETO, &c, par, &ll, &fi, NULL, NULL, msg, sizeof(msg));

			for (int k = 0; k < 4; k++)
				if (fabs(par[k] / REF_SYNTH_PNBD[k] - 1) > worst)
					worst = fabs(par[k] / REF_SYNTH_PNBD[k] - 1);
			CHECK(rc == 0 && !fi.limit && fi.dispersion > 0,
				  "synthetic Pareto/NBD: the four-parameter fit (dispersion score %.3g > 0) %s", fi.dispersion, msg);
			CHECK(worst < 1e-8 && fabs(ll / REF_SYNTH_PNBD_LL - 1) < 1e-12,
				  "synthetic Pareto/NBD (%.6g, %.6g, %.6g, %.6g; true %g, %g, %g, %g) = scipy's within 1e-8 (worst %.1e), loglik %.12g",
				  par[0], par[1], par[2], par[3], REF_SYNTH_PNBD_TRUE[0], REF_SYNTH_PNBD_TRUE[1],
				  REF_SYNTH_PNBD_TRUE[2], REF_SYNTH_PNBD_TRUE[3], worst, ll);
		}
		else
		{
			SKIP("synthetic Pareto/NBD fit", "test/ref/clv_synth_pnbd.csv not readable");
			SKIP("synthetic Pareto/NBD fit", "test/ref/clv_synth_pnbd.csv not readable");
		}
		free(x);
		free(tx);
		free(T);
	}
	/* Pareto/NBD's limit against its incomplete-gamma form (mpmath, 30 digits) */
	for (int i = 0; i < N_REF_F; i++)
	{
		const double *c = REF_F[i];
		double		pl[4] = {REF_F_PL[0], REF_F_PL[1], CLV_S_REPORT, CLV_S_REPORT / REF_F_PL[2]};
		double		pa = clv_p_alive(CLV_PARETO, pl, c[0], c[1], c[2]);
		double		e = clv_expected(CLV_PARETO, pl, c[0], c[1], c[2], REF_F_H);
		double		la,
					ld;

		clv_pnbd_bracket(REF_F_PL, 1, c[0], c[1], c[2], &la, &ld);
		CHECK(fabs(pa / c[9] - 1) < 1e-12 && fabs(e / c[10] - 1) < 1e-12 && fabs(la - c[11]) < 1e-13 * fabs(c[11])
			  && fabs(ld - c[12]) < 1e-13 * fabs(c[12]),
			  "Pareto/NBD limit x=%g t_x=%g T=%g: P(alive) %.15g, E[X(39)] %.15g, log D %.15g = mpmath's (%.15g, %.15g, %.15g)",
			  c[0], c[1], c[2], pa, e, ld, c[9], c[10], c[12]);
	}
	/* P(alive) and E[X(39)] at fixed parameters against scipy (both Pareto/NBD branches) */
	for (int i = 0; i < N_REF_F; i++)
	{
		const double *c = REF_F[i];
		const double *pars[3] = {REF_F_BG, REF_F_PN, REF_F_PN2};
		static const char *const nm[3] = {"BG/NBD", "Pareto/NBD alpha < beta", "Pareto/NBD alpha > beta"};

		for (int k = 0; k < 3; k++)
		{
			int			model = k == 0 ? CLV_BGNBD : CLV_PARETO;
			double		pa = clv_p_alive(model, pars[k], c[0], c[1], c[2]);
			double		e = clv_expected(model, pars[k], c[0], c[1], c[2], REF_F_H);
			double		d1 = fabs(pa / c[3 + 2 * k] - 1),
						d2 = fabs(e / c[4 + 2 * k] - 1);

			CHECK(d1 < 1e-9 && d2 < 1e-9, "%s x=%g t_x=%g T=%g: P(alive) %.12g, E[X(39)] %.12g = scipy's (rel %.1e, %.1e)",
				  nm[k], c[0], c[1], c[2], pa, e, d1, d2);
		}
	}
	{
		int32_t		x[] = {1, 2, 5, 3, 9};
		double		m[] = {12.5, 30.0, 8.25, 17.0, 22.0};
		double		p[3] = {4.1, 3.3, 11.0},
					g[3];
		static const char *const names[] = {"p", "q", "gamma"};

		(void) clv_gg_loglik(p, 5, x, m, g);
		for (int k = 0; k < 3; k++)
		{
			double		q[3],
						h = 1e-6,
						up,
						dn;

			memcpy(q, p, sizeof(q));
			q[k] = p[k] * exp(h);
			up = clv_gg_loglik(q, 5, x, m, NULL);
			q[k] = p[k] * exp(-h);
			dn = clv_gg_loglik(q, 5, x, m, NULL);
			CHECK_NEAR(g[k], (up - dn) / (2 * h), 1e-7 * (1 + fabs(g[k])), "Gamma-Gamma d loglik / d log %s", names[k]);
		}
		{
			double		H[9],
						worst = 0,
						h = 1e-5;

			(void) clv_gg_loglik2(p, 5, x, m, 1, NULL, H);
			for (int j = 0; j < 3; j++)
			{
				double		q[3],
							gp[3],
							gm[3];

				memcpy(q, p, sizeof(q));
				q[j] = p[j] * exp(h);
				clv_gg_loglik(q, 5, x, m, gp);
				q[j] = p[j] * exp(-h);
				clv_gg_loglik(q, 5, x, m, gm);
				for (int i = 0; i < 3; i++)
					if (fabs(H[i * 3 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 3 + j])) > worst)
						worst = fabs(H[i * 3 + j] - (gp[i] - gm[i]) / (2 * h)) / (1 + fabs(H[i * 3 + j]));
			}
			CHECK(worst < 1e-7, "Gamma-Gamma Hessian in log-parameters = differences of the gradient (worst %.1e)", worst);
		}
	}
	{
		/* discount 0 = plain expectation; expected purchases rise with the horizon */
		double		p[4] = {0.24, 4.41, 0.79, 2.43};
		double		e52 = clv_expected(CLV_BGNBD, p, 2, 30, 39, 52);

		CHECK_NEAR(clv_discounted(CLV_BGNBD, p, 2, 30, 39, 52, 0), e52, 1e-15, "clv_discounted(d = 0) = E[X(52)]");
		CHECK(clv_discounted(CLV_BGNBD, p, 2, 30, 39, 52, 0.01) < e52, "discounting lowers the value");
		CHECK(clv_expected(CLV_BGNBD, p, 2, 30, 39, 13) < e52, "E[X(13)] < E[X(52)]");
		/* the conditional expectation's 2F1 argument t / (alpha + T + t) near 1: a long horizon */
		CHECK(isfinite(clv_expected(CLV_BGNBD, p, 0, 0, 1, 20000)), "BG/NBD E[X] at a horizon of 20000 units");
	}
	{
		int32_t    *x = NULL,
				   *tx = NULL,
				   *T = NULL;
		int			n = read_synth("../ref/clv_synth.csv", &x, &tx, &T);

		CHECK(n == 100000, "read 100,000 synthetic customers (got %d)", n);
		if (n == 100000)
		{
			/* times in ticks of 1/1000 week; two threads (the sums do not depend on the count) */
			ClvCustomers c = {n, x, tx, T, REF_SYNTH_TICKS, 2, NULL};
			ClvCustomers c1 = c;
			double		par[4],
						par1[4],
						ll,
						ll1,
						H[16],
						inv[16];
			char		msg[200] = "";
			ClvFitInfo	fi;
			int			rc = clv_fit(CLV_BGNBD, &c, par, &ll, &fi, NULL, NULL, msg, sizeof(msg));
			double		truth[4] = {0.25, 4.0, 0.8, 2.5};
			double		worst = 0;
			static const char *const names[] = {"r", "alpha", "a", "b"};

			CHECK(rc == 0 && !fi.limit, "synthetic BG/NBD fit converges at finite a, b %s (gradient %.1e)", msg,
				  fi.grad_max);
			c1.threads = 1;
			(void) clv_fit(CLV_BGNBD, &c1, par1, &ll1, NULL, NULL, NULL, msg, sizeof(msg));
			CHECK(memcmp(par, par1, sizeof(par)) == 0 && ll == ll1, "the fit on 1 thread = on 2, bit for bit");
			for (int k = 0; k < 4; k++)
				if (fabs(par[k] / REF_SYNTH_BGNBD[k] - 1) > worst)
					worst = fabs(par[k] / REF_SYNTH_BGNBD[k] - 1);
			CHECK(worst < 1e-8, "synthetic BG/NBD parameters = scipy's within 1e-8 relative (worst %.2e)", worst);
			CHECK(fabs(ll / REF_SYNTH_BGNBD_LL - 1) < 1e-12, "synthetic BG/NBD loglik %.12g = scipy's %.12g", ll,
				  REF_SYNTH_BGNBD_LL);
			/* standard errors of the log-parameters: the inverse of the observed information */
			(void) clv_loglik2(CLV_BGNBD, par, &c, NULL, H);
			for (int k = 0; k < 16; k++)
				H[k] = -H[k];
			CHECK(invert4(H, inv) == 0, "the observed information is invertible");
			for (int k = 0; k < 4; k++)
			{
				double		se = sqrt(inv[k * 4 + k]);
				double		z = log(par[k] / truth[k]) / se;

				CHECK(fabs(z) < 3, "synthetic %s = %.4f, true %.4f: %+.2f standard errors (se of log %s %.4f)",
					  names[k], par[k], truth[k], z, names[k], se);
			}
		}
		else
		{
			for (int k = 0; k < 9; k++)
				SKIP("synthetic fit", "test/ref/clv_synth.csv not readable");
		}
		free(x);
		free(tx);
		free(T);
	}
	UNIT_EXIT();
}
