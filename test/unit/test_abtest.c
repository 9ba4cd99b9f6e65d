/*
 * test_abtest.c -- src/core/abtest.c and msprt.c against R 4.2.2 (test/ref/abtest_ref.R):
 * prop.test, Welch t.test, CUPED, p.adjust holm and chisq.test on the seeded experiment
 * (abtest_data.csv) within 1e-9 relative; power.prop.test / power.t.test n within 1e-6
 * relative; Beta-posterior sums against quadrature; the mixture SPRT against the R
 * transcription; Chan's combine against one pass; and a seeded A/A simulation (1,000
 * experiments looked at daily for 30 days): the always-valid p-value keeps its
 * false-positive rate at alpha while the naive daily test's is several times alpha.
 */
#include <stdlib.h>
#include <string.h>

#include "core/abtest.h"
#include "core/dist.h"
#include "core/msprt.h"
#include "core/rng.h"
#include "unit.h"

#define MAXROWS 4000
static char var[MAXROWS][16];
static double conv[MAXROWS], rev[MAXROWS], pre[MAXROWS];
static int day[MAXROWS], nrows;
static const char *arms[3] = {"a", "b", "control"};	/* sort order */

static double
relerr(double got, double want)
{
	if (isnan(want))
		return isnan(got) ? 0 : INFINITY;
	if (want == 0)
		return fabs(got);
	return fabs(got - want) / fabs(want);
}

static int
arm_of(const char *v)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(arms[i], v))
			return i;
	return -1;
}

static void
load_data(void)
{
	FILE	   *f = fopen("../ref/abtest_data.csv", "r");
	char		line[256];

	if (!f || !fgets(line, sizeof(line), f))
		return;
	while (nrows < MAXROWS && fgets(line, sizeof(line), f))
	{
		int			id;

		if (sscanf(line, "%d,%15[^,],%lf,%lf,%lf,%d", &id, var[nrows], &conv[nrows], &rev[nrows],
				   &pre[nrows], &day[nrows]) == 6)
			nrows++;
	}
	fclose(f);
}

/* one case of abtest_ref_tests.csv recomputed; returns the worst relative error */
static double
run_case(const char *name, const double *y, int ctl, int proportion, double alpha,
		 const double *split, int cuped)
{
	double		st[3][MK_AB_NSTATE] = {{0}},
				mean[3],
				var_[3],
				counts[3],
				p[3],
				adj[3],
				srm,
				theta,
				worst = 0;
	MkAbCmp		cmp[3];
	double	   *sp[3] = {st[0], st[1], st[2]};
	const double eq[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
	FILE	   *f = fopen("../ref/abtest_ref_tests.csv", "r");
	char		line[1024];
	int			rows = 0;

	for (int i = 0; i < nrows; i++)
		mk_ab_add(st[arm_of(var[i])], y[i], pre[i]);
	for (int a = 0; a < 3; a++)
	{
		mean[a] = st[a][MK_AB_MEAN_Y];
		var_[a] = st[a][MK_AB_M2_Y] / (st[a][MK_AB_N] - 1);
		counts[a] = st[a][MK_AB_N];
	}
	if (cuped && mk_cuped(sp, 3, &theta, mean, var_) != 0)
		return INFINITY;
	for (int a = 0; a < 3; a++)
	{
		p[a] = NAN;
		if (a == ctl)
			continue;
		if (proportion)
			mk_prop_test(st[a][MK_AB_SUM_Y], counts[a], st[ctl][MK_AB_SUM_Y], counts[ctl], alpha, &cmp[a]);
		else if (mk_welch_test(mean[a], var_[a], counts[a], mean[ctl], var_[ctl], counts[ctl], alpha, &cmp[a]))
			return INFINITY;
		p[a] = cmp[a].p_value;
	}
	mk_holm(p, adj, 3);
	srm = mk_chisq_gof_p(counts, split ? split : eq, 3);
	if (!f || !fgets(line, sizeof(line), f))
		return INFINITY;
	while (fgets(line, sizeof(line), f))
	{
		char		c[64], v[16], test[64];
		double		n, m, sd, diff, lo, hi, lift, pv, pa, sr;
		int			a;

		/* R's NA fields become "nan", which %lf reads */
		for (char *q = strstr(line, ",NA"); q; q = strstr(q + 1, ",NA"))
			if (q[3] == ',' || q[3] == '\n' || q[3] == '\r')
			{
				memmove(q + 4, q + 3, strlen(q + 3) + 1);
				memcpy(q + 1, "nan", 3);
			}
		if (sscanf(line, "%63[^,],%15[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%63[^,],%lf",
				   c, v, &n, &m, &sd, &diff, &lo, &hi, &lift, &pv, &pa, test, &sr) != 13 || strcmp(c, name))
			continue;
		a = arm_of(v);
		rows++;
		worst = fmax(worst, relerr(counts[a], n));
		worst = fmax(worst, relerr(mean[a], m));
		worst = fmax(worst, relerr(sqrt(var_[a]), sd));
		worst = fmax(worst, relerr(srm, sr));
		if (a == ctl)
			continue;
		worst = fmax(worst, relerr(cmp[a].diff, diff));
		worst = fmax(worst, relerr(cmp[a].ci_lo, lo));
		worst = fmax(worst, relerr(cmp[a].ci_hi, hi));
		worst = fmax(worst, relerr(cmp[a].diff / mean[ctl], lift));
		worst = fmax(worst, relerr(cmp[a].p_value, pv));
		worst = fmax(worst, relerr(adj[a], pa));
	}
	fclose(f);
	return rows == 3 ? worst : INFINITY;
}

static double
unif(uint64_t *s)
{
	return (mk_splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* binomial(n, p) by n Bernoulli draws (n is small here) */
static int
binom(uint64_t *s, int n, double p)
{
	int			k = 0;

	for (int i = 0; i < n; i++)
		k += unif(s) < p;
	return k;
}

/*
 * nexp experiments of 30 days, m users per arm and day, conversion rates pc and pt;
 * returns the share the always-valid p-value rejects at some look (*naive: the share a
 * daily prop.test rejects at some look)
 */
static double
simulate(int nexp, int m, double pc, double pt, double alpha, double *naive, uint64_t seed)
{
	uint64_t	s = seed;
	int			rej = 0,
				nrej = 0;

	for (int e = 0; e < nexp; e++)
	{
		int			xc[30], xt[30];
		double		cx = 0, tx = 0, n = 0, pool, tau;
		MkMsprt		ms;
		int			hit = 0, nhit = 0;

		for (int d = 0; d < 30; d++)
		{
			xc[d] = binom(&s, m, pc);
			xt[d] = binom(&s, m, pt);
			cx += xc[d];
			tx += xt[d];
		}
		/* tau: 0.1 x the pooled sample sd of the metric over the whole experiment (as ab_sequential) */
		pool = (cx + tx) / (60.0 * m);
		tau = MK_MSPRT_TAU_SD * sqrt(pool * (1 - pool) * (60.0 * m) / (60.0 * m - 1));
		mk_msprt_init(&ms);
		cx = tx = 0;
		for (int d = 0; d < 30; d++)
		{
			double		ec, et;
			MkAbCmp		r;

			cx += xc[d];
			tx += xt[d];
			n += m;
			ec = cx / n;
			et = tx / n;
			mk_msprt_look(&ms, et - ec, et * (1 - et) / n + ec * (1 - ec) / n, tau, alpha);
			hit |= ms.p <= alpha;
			mk_prop_test(tx, n, cx, n, alpha, &r);
			nhit |= r.p_value <= alpha;
		}
		rej += hit;
		nrej += nhit;
	}
	*naive = (double) nrej / nexp;
	return (double) rej / nexp;
}

/* test/bench/abtest_aa.sh: test_abtest --aa N runs the large simulation instead of the tests */
static int
large_simulation(int nexp)
{
	static const struct
	{
		int			m;
		double		pc,
					lift;
	}			cfg[] = {{20, 0.5, 0.05}, {100, 0.10, 0.03}, {1000, 0.02, 0.004}};

	printf("%d experiments per row, 30 daily looks, alpha 0.05, tau default (0.1 sd)\n", nexp);
	printf("%-22s %-12s %-14s %-14s %s\n", "users/arm/day", "rate", "A/A always-valid", "A/A naive daily", "power (always-valid)");
	for (unsigned i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
	{
		double		naive, naive2, fpr, pw;

		fpr = simulate(nexp, cfg[i].m, cfg[i].pc, cfg[i].pc, 0.05, &naive, 1000 + i);
		pw = simulate(nexp, cfg[i].m, cfg[i].pc, cfg[i].pc + cfg[i].lift, 0.05, &naive2, 2000 + i);
		printf("%-22d %-12.3f %-16.4f %-15.4f %.4f (%.3f -> %.3f)\n", cfg[i].m, cfg[i].pc, fpr, naive, pw,
			   cfg[i].pc, cfg[i].pc + cfg[i].lift);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--aa") == 0)
		return large_simulation(atoi(argv[2]));
	PLAN(23);
	load_data();
	CHECK(nrows == 2150, "the seeded experiment has 2150 rows (got %d)", nrows);

	{
		const double split[3] = {0.3, 0.3, 0.4};
		double		w;

		w = run_case("conv", conv, 2, 1, 0.05, NULL, 0);
		CHECK(w <= 1e-9, "prop.test(correct = FALSE), holm, chisq.test SRM as R (worst rel. error %.2e)", w);
		w = run_case("conv_ctl_a_alpha10", conv, 0, 1, 0.10, NULL, 0);
		CHECK(w <= 1e-9, "prop.test with control 'a' and alpha 0.1 as R (worst %.2e)", w);
		w = run_case("rev", rev, 2, 0, 0.05, NULL, 0);
		CHECK(w <= 1e-9, "Welch t.test, holm as R (worst %.2e)", w);
		w = run_case("rev_split", rev, 2, 0, 0.01, split, 0);
		CHECK(w <= 1e-9, "Welch t.test at alpha 0.01, SRM against a 30/30/40 split as R (worst %.2e)", w);
		w = run_case("rev_cuped", rev, 2, 0, 0.05, NULL, 1);
		CHECK(w <= 1e-9, "CUPED (theta over all rows) + Welch t.test as R on the adjusted values (worst %.2e)", w);
	}

	{
		FILE	   *f = fopen("../ref/abtest_ref_power.csv", "r");
		char		line[256];
		double		wp = 0, wt = 0;
		int			np = 0, nt = 0;

		if (f && fgets(line, sizeof(line), f))
			while (fgets(line, sizeof(line), f))
			{
				char		metric[16];
				double		b, m, al, po, sd, n;

				if (sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,%lf,%lf", metric, &b, &m, &al, &po, &sd, &n) == 7)
				{
					wt = fmax(wt, relerr(mk_power_t_n(m, sd, al, po), n));
					nt++;
				}
				else if (sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,,%lf", metric, &b, &m, &al, &po, &n) == 6)
				{
					wp = fmax(wp, relerr(mk_power_prop_n(b, b + m, al, po), n));
					np++;
				}
			}
		if (f)
			fclose(f);
		CHECK(np > 50 && wp <= 1e-6, "power.prop.test n on %d cases within 1e-6 relative (worst %.2e)", np, wp);
		CHECK(nt > 30 && wt <= 1e-6, "power.t.test n (uniroot on the noncentral t) on %d cases within 1e-6 relative (worst %.2e)", nt, wt);
	}

	{
		FILE	   *f = fopen("../ref/abtest_ref_bayes.csv", "r");
		char		line[256];
		double		w = 0;
		int			n = 0, refused = 0;

		if (f && fgets(line, sizeof(line), f))
			while (fgets(line, sizeof(line), f))
			{
				double		xc, nc, xt, nt, pa, pb, prob, lt, lc, gp, glt, glc;

				if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &xc, &nc, &xt, &nt, &pa, &pb, &prob, &lt, &lc) != 9)
					continue;
				if (mk_ab_bayes(pa + xc, pb + nc - xc, pa + xt, pb + nt - xt, &gp, &glt, &glc) != 0)
				{
					refused++;
					continue;
				}
				w = fmax(w, fmax(relerr(gp, prob), fmax(relerr(glt, lt), relerr(glc, lc))));
				n++;
			}
		if (f)
			fclose(f);
		CHECK(n == 9 && refused == 0 && w <= 1e-9, "Beta posteriors: P(p_t > p_c) and both expected losses of %d cases (arms up to 60,000, one with a Beta(0.5, 0.5) prior) match R's quadrature within 1e-9 (worst %.2e)", n, w);
	}

	{
		/* P(Y > X) against 40-digit mpmath (test/ref/abtest_bayes_mp.py): the quadrature for
		 * every case both ways (P and 1 - P from their own integrals), the exact sums where
		 * the parameters are integers */
		FILE	   *f = fopen("../ref/abtest_ref_bayes_mp.csv", "r");
		char		line[256];
		double		wq = 0,
					ws = 0;
		int			nq = 0,
					ns = 0;

		if (f && fgets(line, sizeof(line), f))
			while (fgets(line, sizeof(line), f))
			{
				double		a1, b1, a2, b2, p, q, gp, lt, lc;

				if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf", &a1, &b1, &a2, &b2, &p, &q) != 6)
					continue;
				wq = fmax(wq, fmax(relerr(mk_ab_beta_gt_quad(a1, b1, a2, b2), p), relerr(mk_ab_beta_gt_quad(a2, b2, a1, b1), q)));
				nq++;
				if (a1 == floor(a1) && b2 == floor(b2) && mk_ab_bayes(a1, b1, a2, b2, &gp, &lt, &lc) == 0)
				{
					ws = fmax(ws, relerr(gp, p));
					ns++;
				}
			}
		if (f)
			fclose(f);
		CHECK(nq == 14 && wq <= 1e-11, "P(Y > X) by quadrature on %d Beta pairs (P from 8e-18 to 1 - 8e-18, arms up to 400,000, 4 without an integer parameter) within 1e-11 of 40 digits (worst %.2e)", nq, wq);
		CHECK(ns == 10 && ws <= 1e-11, "P(Y > X) by the exact sum on %d integer pairs within 1e-11 of 40 digits (worst %.2e)", ns, ws);
	}

	{
		/* the R transcription of the mixture SPRT: treatment b against control, by day */
		FILE	   *f = fopen("../ref/abtest_ref_seq.csv", "r");
		char		line[256];
		double		w[2] = {0, 0};
		int			cnt[2] = {0, 0};

		for (int k = 0; k < 2; k++)
		{
			const double *y = k == 0 ? rev : conv;
			double		all[MK_AB_NSTATE] = {0}, tau;
			MkMsprt		ms;

			for (int i = 0; i < nrows; i++)
				if (strcmp(var[i], "a"))
					mk_ab_add(all, y[i], 0);
			tau = MK_MSPRT_TAU_SD * sqrt(all[MK_AB_M2_Y] / (all[MK_AB_N] - 1));
			mk_msprt_init(&ms);
			rewind(f);
			if (!fgets(line, sizeof(line), f))
				break;
			while (fgets(line, sizeof(line), f))
			{
				char		metric[16];
				int			dd, n;
				double		diff, lo, hi, p, st[2][MK_AB_NSTATE] = {{0}}, v, mt, mc;

				if (sscanf(line, "%15[^,],%d,%d,%lf,%lf,%lf,%lf", metric, &dd, &n, &diff, &lo, &hi, &p) != 7 ||
					strcmp(metric, k == 0 ? "mean" : "proportion"))
					continue;
				for (int i = 0; i < nrows; i++)
					if (day[i] <= dd && strcmp(var[i], "a"))
						mk_ab_add(st[!strcmp(var[i], "b")], y[i], 0);
				mt = st[1][MK_AB_MEAN_Y];
				mc = st[0][MK_AB_MEAN_Y];
				v = k == 0 ? st[1][MK_AB_M2_Y] / (st[1][MK_AB_N] - 1) / st[1][MK_AB_N] +
					st[0][MK_AB_M2_Y] / (st[0][MK_AB_N] - 1) / st[0][MK_AB_N]
					: mt * (1 - mt) / st[1][MK_AB_N] + mc * (1 - mc) / st[0][MK_AB_N];
				mk_msprt_look(&ms, mt - mc, v, tau, 0.05);
				w[k] = fmax(w[k], fmax(relerr(mt - mc, diff), relerr(ms.p, p)));
				w[k] = fmax(w[k], fmax(relerr(ms.lo, lo), relerr(ms.hi, hi)));
				cnt[k]++;
			}
		}
		if (f)
			fclose(f);
		CHECK(cnt[0] == 14 && w[0] <= 1e-9, "mixture SPRT, revenue: 14 daily looks as the R transcription (worst %.2e)", w[0]);
		CHECK(cnt[1] == 14 && w[1] <= 1e-9, "mixture SPRT, conversions: 14 daily looks as the R transcription (worst %.2e)", w[1]);
	}

	{
		/* partial states combined (any split, any order) = one pass */
		double		one[MK_AB_NSTATE] = {0}, parts[7][MK_AB_NSTATE] = {{0}}, comb[MK_AB_NSTATE] = {0}, w = 0;

		for (int i = 0; i < nrows; i++)
		{
			mk_ab_add(one, rev[i], pre[i]);
			mk_ab_add(parts[(i * 7919) % 7], rev[i], pre[i]);
		}
		for (int k = 6; k >= 0; k--)
			mk_ab_combine(comb, parts[k]);
		for (int j = 0; j < MK_AB_NSTATE; j++)
			w = fmax(w, relerr(comb[j], one[j]));
		CHECK(w <= 1e-12, "Chan's combine of 7 partial states equals one pass (worst %.2e)", w);
	}

	{
		double		p[4] = {0.01, 0.04, NAN, 0.03}, adj[4];

		mk_holm(p, adj, 4);
		CHECK(adj[0] == 0.03 && fabs(adj[3] - 0.06) < 1e-15 && fabs(adj[1] - 0.06) < 1e-15 && isnan(adj[2]),
			  "holm: step-down with cummax, NaN outside the family");
	}

	{
		MkAbCmp		r;
		double		s1[MK_AB_NSTATE] = {0}, s2[MK_AB_NSTATE] = {0}, th, m[2], v[2];
		double	   *ss[2] = {s1, s2};

		CHECK(mk_welch_test(1, 0, 10, 1, 0, 10, 0.05, &r) == -2, "Welch: both arms constant is refused (R: data are essentially constant)");
		CHECK(mk_welch_test(1, 2, 1, 1, 3, 10, 0.05, &r) == -1, "Welch: an arm of one row is refused");
		mk_ab_add(s1, 1, 5);
		mk_ab_add(s1, 2, 5);
		mk_ab_add(s2, 3, 5);
		CHECK(mk_cuped(ss, 2, &th, m, v) == -1, "CUPED: a constant covariate is refused");
		mk_prop_test(0, 10, 0, 12, 0.05, &r);
		CHECK(isnan(r.p_value) && r.diff == 0, "prop.test with no conversions anywhere: p-value NaN as R's");
		{
			/* strict = FALSE: sqrt(n) d = z_{alpha/2} sqrt(2 pbar qbar) + z_power sqrt(p1 q1 + p2 q2) exactly */
			double		p1 = 0.1, p2 = 0.1001, pb = (p1 + p2) / 2,
						z = mk_qnorm(0.025, 0) * sqrt(2 * pb * (1 - pb)) + mk_qnorm(0.8, 1) * sqrt(p1 * (1 - p1) + p2 * (1 - p2)),
						n = mk_power_prop_n(p1, p2, 0.05, 0.8);

			CHECK(n > 1e7 && relerr(n, z * z / ((p2 - p1) * (p2 - p1))) < 1e-6,
				  "power.prop.test beyond 1e7 per group: the interval is extended as R's uniroot does (n = %.0f)", n);
		}
	}

	{
		double		naive, fpr, naive1, pw;

		fpr = simulate(1000, 100, 0.10, 0.10, 0.05, &naive, 20261130);
		/* binomial error of 1,000 experiments at 0.05: sd 0.0069; allow 3 sd */
		CHECK(fpr <= 0.05 + 3 * sqrt(0.05 * 0.95 / 1000), "A/A, 1000 experiments x 30 daily looks: always-valid false-positive rate %.3f <= alpha 0.05 within binomial error", fpr);
		CHECK(naive >= 3 * 0.05, "A/A: a naive daily prop.test rejects in %.3f of experiments (several times alpha)", naive);
		pw = simulate(1000, 100, 0.10, 0.13, 0.05, &naive1, 7);
		CHECK(pw >= 0.7, "a real effect (10%% -> 13%%, 100 users per arm and day): detected in %.3f of experiments", pw);
	}
	UNIT_EXIT();
}
