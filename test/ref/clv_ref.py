#!/usr/bin/python3
"""clv_ref.py -- independent scipy reference for mktdb's customer-lifetime-value models
(src/core/clv_lik.c, clv_fit.c, clv_score.c).  Writes test/ref/clv_synth.csv,
clv_ref.h (unit test), clv_ref_params.csv and clv_ref_scores.csv (sql/clv.sql); run
from the repository root:  /usr/bin/python3 test/ref/clv_ref.py

1. The bundled Complete Journey sample (demo/data/transactions.csv.gz), baskets as
   purchases, summarised as the SPEC says: one purchase per household and calendar day,
   calibration to 2017-10-31 inclusive, weeks (7 days); x = purchase days - 1, t_x and T
   in weeks, m_x = mean of the positive repeat-day amounts.
2. 100,000 synthetic customers drawn from BG/NBD (r, alpha, a, b) = (0.25, 4.0, 0.8, 2.5)
   in weeks exactly as the model says (continuous time: Poisson purchases while alive,
   dropout after each repeat purchase with probability p), first purchases uniform over
   52 weeks before a calibration end; clv_synth.csv holds x, t_x and T in ticks of 1/1000
   week (T drawn as whole ticks, t_x rounded to the nearest tick).
Each is fitted by maximum likelihood with scipy: Nelder-Mead from several starts, BFGS,
then Newton polish with scipy.optimize.minimize(method='trust-exact') on the exact
gradient (complex-step derivatives of the log-likelihood: no formula shared with the C
code) and a central-difference Hessian of it, to a gradient below 1e-12.  BG/NBD,
Pareto/NBD (scipy.special.hyp2f1, Nelder-Mead + BFGS only: hyp2f1 takes no complex
parameters) and Gamma-Gamma are written independently of the C code from the papers'
formulas.

BG/NBD's beta-function ratio B(a, b + x) / B(a, b) is taken as the product over j < x of
(b + j) / (a + b + j) (scipy's betaln differences lose their digits for large a, b).
On the Complete Journey sample its likelihood has no maximum at finite a, b: it rises
monotonically towards the limit a + b -> infinity with p = a / (a + b) fixed (printed
below: the profile over a + b), so the maximum is that limit's, (r, alpha, p) fitted
directly, and a, b are reported as p * 1e12, (1 - p) * 1e12 as mktdb does (CLV_AB_REPORT).
Pareto/NBD's likelihood rises the same way towards s, beta -> infinity at fixed s / beta = mu
(printed: the four-parameter fit's maximum is below the limit's, and the profile over s): its
limit (r, alpha, mu; everyone's dropout rate is mu) is fitted with the death term integrated by
scipy.integrate.quad (mktdb integrates in another variable with its own Gauss-Kronrod rule) and
reported as s = 1e12, beta = 1e12 / mu as mktdb does (CLV_S_REPORT).
"""
import csv
import gzip
import datetime as dt
import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize, root
from scipy.special import digamma, gammaln, hyp2f1, loggamma

UNIT = 7.0
AB_REPORT = 1e12
TICKS = 1000.0                               # synthetic times: ticks per week


def lae(u, v):
    """logaddexp that also takes complex arguments (for complex-step derivatives)"""
    hi = np.where(np.real(u) >= np.real(v), u, v)
    lo = np.where(np.real(u) >= np.real(v), v, u)
    with np.errstate(all='ignore'):
        return hi + np.where(np.isneginf(np.real(lo)), 0, np.log1p(np.exp(lo - hi)))


def beta_ratio_table(a, b, xmax, limit=False):
    """log B(a, b + x) / B(a, b) for x = 0..xmax: cumulative sums of log((b + j) / (a + b + j));
    in the limit a + b -> infinity (a = p): x log(1 - p)"""
    j = np.arange(xmax)
    if limit:
        step = np.log1p(-a) * np.ones(xmax) + 0 * a
    else:
        step = np.log(b + j) - np.log(a + b + j)
    return np.concatenate([[0 * a], np.cumsum(step)])


def bgnbd_ll(p, x, tx, T, limit=False):
    """BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6); limit: p = (r, alpha, p)"""
    r, al, a = p[0], p[1], p[2]
    xi = x.astype(int)
    S = beta_ratio_table(a, None if limit else p[3], int(xi.max()), limit)[xi]
    lq = np.log(a / (1 - a)) if limit else np.log(a) - np.log(p[3] + np.maximum(x, 1) - 1)
    c = loggamma(r + x) - loggamma(r) + r * np.log(al) + S
    l1 = c - (r + x) * np.log(al + T)
    l2 = np.where(x > 0, c + lq - (r + x) * np.log(al + tx), -np.inf)
    return lae(l1, l2).sum()


def pnbd_ll(p, x, tx, T):
    r, al, s, be = p
    rsx = r + s + x
    if al >= be:
        f = lambda t: np.log(hyp2f1(rsx, s + 1, rsx + 1, (al - be) / (al + t))) - rsx * np.log(al + t)
    else:
        f = lambda t: np.log(hyp2f1(rsx, r + x, rsx + 1, (be - al) / (be + t))) - rsx * np.log(be + t)
    la = -(r + x) * np.log(al + T) - s * np.log(be + T)
    l1, l2 = f(tx), f(T)
    with np.errstate(all='ignore'):
        ld = np.where(tx < T, np.log(s / rsx) + l1 + np.log(-np.expm1(l2 - l1)), -np.inf)
    return (gammaln(r + x) - gammaln(r) + r * np.log(al) + s * np.log(be) + np.logaddexp(la, ld)).sum()


def distinct(x, tx, T):
    """distinct (x, t_x, T) rows and their counts"""
    u, w = np.unique(np.stack([x, tx, T], 1), axis=0, return_counts=True)
    return u[:, 0], u[:, 1], u[:, 2], w.astype(float)


def pnbd_rows_quad(p, x, tx, T, limit, grad=False):
    """Pareto/NBD per distinct customer with the death term integrated by scipy.integrate.quad
    in tau (k = r + x):
      4 parameters: A = (alpha+T)^-k (beta/(beta+T))^s, D = s beta^s int_tx^T (alpha+tau)^-k (beta+tau)^-(s+1)
      limit s, beta -> infinity at s / beta = mu (p = r, alpha, mu; everyone's dropout rate mu):
                    A = (alpha+T)^-k e^(-mu T),       D = mu int_tx^T (alpha+tau)^-k e^(-mu tau) dtau
    log L = lgamma(r+x) - lgamma(r) + r log alpha + log(A + D).  The integrand is scaled by its
    value at t_x.  grad (limit only): also d log L / d(r, alpha, mu)."""
    r, al = p[0], p[1]
    out, gout = np.zeros(len(x)), np.zeros((len(x), 3))
    for i in range(len(x)):
        k, t0, t1 = r + x[i], tx[i], T[i]
        y0 = al + t0
        if limit:
            mu = p[2]
            h = lambda tau: -mu * (tau - t0)                       # log e^(-mu tau) + mu t_x
            lc = np.log(mu) - k * np.log(y0) - mu * t0              # log of D's factor outside
            lA = -k * np.log(al + t1) - mu * t1
        else:
            s_, be = p[2], p[3]
            h = lambda tau: -(s_ + 1) * np.log1p((tau - t0) / (be + t0))
            lc = np.log(s_) - np.log(be + t0) - s_ * np.log1p(t0 / be) - k * np.log(y0)
            lA = -k * np.log(al + t1) - s_ * np.log1p(t1 / be)
        g = lambda tau: np.exp(-k * np.log1p((tau - t0) / y0) + h(tau))
        pts = [t0 + y0 / k * j for j in (1, 5, 20, 80) if t0 + y0 / k * j < t1]

        def q(fn):
            return quad(fn, t0, t1, epsabs=0, epsrel=1e-13, limit=400, points=pts or None)[0] if t1 > t0 else 0.0
        I0 = q(g)
        m = max(lA, lc)
        a, d = np.exp(lA - m), np.exp(lc - m) * I0
        out[i] = gammaln(k) - gammaln(r) + r * np.log(al) + m + np.log(a + d)
        if grad:
            ec = np.exp(lc - m)
            # derivatives of A and D in r, alpha, mu (D's through its integrand; D = mu e^(lc - log mu) I)
            dr = a * -np.log(al + t1) + ec * q(lambda tau: g(tau) * -np.log(al + tau))
            da = a * -k / (al + t1) + ec * q(lambda tau: g(tau) * -k / (al + tau))
            dm = a * -t1 + ec * (I0 / p[2] - q(lambda tau: g(tau) * tau))
            tot = a + d
            gout[i] = [digamma(k) - digamma(r) + np.log(al) + dr / tot, r / al + da / tot, dm / tot]
    return (out, gout) if grad else out


def fit_pnbd_limit(x, tx, T, start):
    """maximum likelihood of the limit (r, alpha, mu) on distinct rows: BFGS on the log-parameters
    with the quad gradient, then scipy.optimize.root on the gradient"""
    ux, utx, uT, w = distinct(x, tx, T)
    n = w.sum()

    def fg(th):
        p = np.exp(th)
        l, g = pnbd_rows_quad(p, ux, utx, uT, True, grad=True)
        return -(w * l).sum() / n, -(w[:, None] * g).sum(0) * p / n
    res = minimize(fg, np.log(start), jac=True, method='BFGS', options=dict(gtol=1e-10, maxiter=500))
    rt = root(lambda th: fg(th)[1], res.x, method='hybr', options=dict(xtol=1e-14))
    th = rt.x if np.abs(fg(rt.x)[1]).max() < np.abs(fg(res.x)[1]).max() else res.x
    print('    limit fit: |gradient| %.1e (BFGS %.1e)' % (np.abs(fg(th)[1]).max(), np.abs(fg(res.x)[1]).max()))
    return np.exp(th), -fg(th)[0] * n


def pnbd_profile(x, tx, T, lim):
    """numbers for doc/clv.md: the four-parameter log-likelihood (by quad) at s = 10 .. 1e4,
    beta = s / mu, with r, alpha, mu re-fitted at each"""
    ux, utx, uT, w = distinct(x, tx, T)
    print('  Pareto/NBD profile over s (beta = s / mu; r, alpha, mu re-fitted at each):')
    for sv in (1e1, 1e2, 1e3, 1e4):
        f = lambda th: -(w * pnbd_rows_quad([np.exp(th[0]), np.exp(th[1]), sv, sv / np.exp(th[2])],
                                            ux, utx, uT, False)).sum()
        res = minimize(f, np.log(lim), method='BFGS', options=dict(gtol=1e-6))
        print('    s = %.0e: loglik %.6f' % (sv, -res.fun))


def gg_ll(p, x, m):
    pp, q, g = p[0], p[1], p[2]
    px = pp * x
    return (loggamma(px + q) - loggamma(px) - loggamma(q) + q * np.log(g) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(g + m * x)).sum()


def params_of(th, limit):
    """theta -> parameters: logs; the BG/NBD limit's third is logit p"""
    p = [np.exp(t) for t in th]
    if limit:
        p[2] = 1 / (1 + np.exp(-th[2]))
    return p


def fit(ll, args, starts, limit=False, newton=True):
    """Nelder-Mead on theta from each start, BFGS from the best, then (newton) trust-exact
    Newton on the complex-step gradient; non-finite values count as +inf.  Returns the
    parameters, the maximum, theta and the Hessian of the mean log-likelihood in theta."""
    n = len(args[0])

    def f(th):
        v = -np.real(ll(params_of(th, limit), *args)) / n
        return v if np.isfinite(v) else np.inf

    def grad(th):
        g = np.zeros(len(th))
        for k in range(len(th)):
            t = np.array(th, complex)
            t[k] += 1e-30j
            g[k] = -np.imag(ll(params_of(t, limit), *args)) / n / 1e-30
        return g

    def hess(th, h=1e-5):
        H = np.zeros((len(th), len(th)))
        for k in range(len(th)):
            e = np.zeros(len(th))
            e[k] = h
            H[:, k] = (grad(th + e) - grad(th - e)) / (2 * h)
        return (H + H.T) / 2
    best = None
    for s in starts:
        th0 = np.log(s) if not limit else np.array([np.log(s[0]), np.log(s[1]), np.log(s[2] / (1 - s[2]))])
        res = minimize(f, th0, method='Nelder-Mead', options=dict(xatol=1e-10, fatol=1e-15, maxiter=4000, maxfev=4000))
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    res = minimize(f, best.x, method='BFGS', options=dict(gtol=1e-11, maxiter=2000))
    if res.fun < best.fun:
        best = res
    if not newton:
        return params_of(best.x, limit), -best.fun * n, best.x, None
    res = minimize(f, best.x, jac=grad, hess=hess, method='trust-exact', options=dict(gtol=1e-12, maxiter=200))
    th = res.x if res.fun <= best.fun else best.x
    # f no longer resolves steps once the gradient is ~1e-8 (f ~ 25 per customer, 1e-16
    # relative): finish by solving gradient = 0 (MINPACK's hybrj on the exact gradient)
    rt = root(grad, th, jac=hess, method='hybr', options=dict(xtol=1e-15))
    g0, g1 = np.abs(grad(th)).max(), np.abs(grad(rt.x)).max()
    if g1 < g0 and f(rt.x) <= f(th) + 1e-14 * abs(f(th)):
        th = rt.x
    H = hess(th)
    assert np.all(np.linalg.eigvalsh(H) > 0), 'not a maximum'
    print('    trust-exact + root: |gradient| %.1e (after BFGS %.1e)' % (np.abs(grad(th)).max(), np.abs(grad(best.x)).max()))
    return params_of(th, limit), -f(th) * n, th, -H


def demo_summary():
    cal = dt.date(2017, 10, 31)
    days = {}
    with gzip.open('demo/data/transactions.csv.gz', 'rt') as fh:
        for row in csv.DictReader(fh):
            d = dt.date.fromisoformat(row['transaction_timestamp'][:10])
            if d > cal:
                continue
            key = (int(row['household_id']), d)
            days[key] = days.get(key, 0) + round(float(row['sales_value']) * 100)
    per = {}
    for (h, d), amt in days.items():
        per.setdefault(h, []).append((d, amt))
    x, tx, T, m, ids = [], [], [], [], []
    for h in sorted(per):
        v = sorted(per[h])
        first, last = v[0][0], v[-1][0]
        rep = [a for (_, a) in v[1:] if a > 0]
        ids.append(h)
        x.append(len(v) - 1)
        tx.append((last - first).days / UNIT)
        T.append((cal - first).days / UNIT)
        m.append(sum(rep) / len(rep) / 100.0 if rep else np.nan)
    return ids, np.array(x, float), np.array(tx), np.array(T), np.array(m)


def synth():
    """BG/NBD exactly as the model: lambda ~ Gamma(r, alpha), p ~ Beta(a, b); Poisson
    purchases at rate lambda; after each repeat purchase the customer drops out with
    probability p; observed from the first purchase (time 0) to T"""
    rng = np.random.default_rng(20261130)
    n, (r, al, a, b) = 100000, (0.25, 4.0, 0.8, 2.5)
    lam = rng.gamma(r, 1.0 / al, n)          # purchases per week
    p = rng.beta(a, b, n)
    Tt = rng.integers(1, int(52 * TICKS) + 1, n)   # ticks from first purchase to calibration end
    T = Tt / TICKS
    x = np.zeros(n, int)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = lam > 0
    while active.any():
        i = np.nonzero(active)[0]
        t[i] += rng.exponential(1.0, len(i)) / lam[i]
        seen = t[i] <= T[i]
        j = i[seen]
        x[j] += 1
        tx[j] = t[j]
        dies = rng.random(len(j)) < p[j]
        active[i[~seen]] = False
        active[j[dies]] = False
    return x, np.rint(tx * TICKS).astype(int), Tt


def ridge_report(x, tx, T, p4, lim):
    """numbers for doc/clv.md: the profile log-likelihood over a + b, and the conditioning
    of the 4-parameter Hessian where BFGS stopped"""
    r, al, q = lim
    print('  BG/NBD profile over a + b (r, alpha, p re-fitted at each):')
    for k in (1e2, 1e3, 1e4, 1e5, 1e6, 1e8):
        f = lambda th: -bgnbd_ll([np.exp(th[0]), np.exp(th[1]), k / (1 + np.exp(-th[2])), k / (1 + np.exp(th[2]))],
                                 x, tx, T).real
        res = minimize(f, [np.log(r), np.log(al), np.log(q / (1 - q))], method='BFGS', options=dict(gtol=1e-9))
        print('    a + b = %.0e: loglik %.6f (limit %.6f)' % (k, -res.fun, bgnbd_ll([r, al, q], x, tx, T, True).real))
    n = len(x)

    def g(th):
        out = np.zeros(4)
        for k in range(4):
            t = np.array(th, complex)
            t[k] += 1e-30j
            out[k] = np.imag(bgnbd_ll(np.exp(t), x, tx, T)) / 1e-30 / n
        return out
    th = np.log(p4)
    H = np.array([(g(th + e) - g(th - e)) / 2e-5 for e in np.eye(4) * 1e-5])
    ev = np.linalg.eigvalsh(-(H + H.T) / 2)
    print('  4-parameter fit stopped at a + b = %.3g; Hessian of the mean loglik in log-parameters:' % (p4[2] + p4[3]))
    print('    eigenvalues %s, condition number %.2g' % (' '.join('%.3g' % v for v in ev), ev.max() / ev.min()))


def main():
    ids, x, tx, T, m = demo_summary()
    print('demo: %d households, %d repeaters' % (len(x), int((x > 0).sum())))
    p4, l4, _, _ = fit(bgnbd_ll, (x, tx, T), [(1, 1, 1, 1), (0.5, 5, 0.5, 2)], newton=False)
    print('  bgnbd, 4 parameters (Nelder-Mead + BFGS)', p4, l4)
    pl, ll_, _, _ = fit(lambda p, *a: bgnbd_ll(p, *a, limit=True), (x, tx, T), [(p4[0], p4[1], p4[2] / (p4[2] + p4[3])), (1, 5, 0.1)], limit=True)
    print('  bgnbd, limit a + b -> infinity: r, alpha, p', pl, ll_)
    assert p4[2] + p4[3] > 1e3 and ll_ >= l4 - 1e-9 * abs(l4), 'the demo BG/NBD fit is expected on the ridge'
    ridge_report(x, tx, T, p4, pl)
    pb = [pl[0], pl[1], pl[2] * AB_REPORT, (1 - pl[2]) * AB_REPORT]
    lb = ll_
    p4n, l4n, _, _ = fit(pnbd_ll, (x, tx, T), [(1, 1, 1, 1), (0.5, 5, 0.5, 5)], newton=False)
    print('  pareto_nbd, 4 parameters (Nelder-Mead + BFGS, hyp2f1)', p4n, l4n)
    # Pareto/NBD runs up a ridge too (s, beta growing at fixed s / beta): fit the limit
    plim, lp = fit_pnbd_limit(x, tx, T, (p4n[0], p4n[1], p4n[2] / p4n[3]))
    print('  pareto_nbd, limit s, beta -> infinity: r, alpha, mu', plim, lp)
    assert lp >= l4n - 1e-9 * abs(l4n), 'the demo Pareto/NBD fit is expected on the ridge'
    pnbd_profile(x, tx, T, plim)
    pp = [plim[0], plim[1], AB_REPORT, AB_REPORT / plim[2]]
    sel = (x > 0) & np.isfinite(m)
    pg, lg, _, _ = fit(gg_ll, (x[sel], m[sel]), [(1, 1, 1), (5, 3, float(np.mean(m[sel])))])
    print('  pareto_nbd', pp, lp)
    print('  gamma_gamma', pg, lg)
    sx, stx, sT = synth()
    with open('test/ref/clv_synth.csv', 'w') as fh:
        fh.write('x,tx_ticks,T_ticks\n')
        for i in range(len(sx)):
            fh.write('%d,%d,%d\n' % (sx[i], stx[i], sT[i]))
    truth = np.array([0.25, 4.0, 0.8, 2.5])
    ps, ls, th, H = fit(bgnbd_ll, (sx.astype(float), stx / TICKS, sT / TICKS), [(1, 1, 1, 1), (0.5, 5, 0.5, 2)])
    se = np.sqrt(np.diag(np.linalg.inv(-H * len(sx))))
    print('synthetic: %d customers, %d repeaters; true %s' % (len(sx), int((sx > 0).sum()), truth))
    for k, nm in enumerate(('r', 'alpha', 'a', 'b')):
        print('  %-5s %.6f  se(log) %.4f  (log est - log true) / se = %+.2f'
              % (nm, ps[k], se[k], (np.log(ps[k]) - np.log(truth[k])) / se[k]))
    print('  loglik', ls)

    def arr(v):
        return '{' + ', '.join('%.17g' % t for t in v) + '}'
    with open('test/ref/clv_ref.h', 'w') as fh:
        fh.write('/* generated by test/ref/clv_ref.py (scipy %s): do not edit */\n' % __import__('scipy').__version__)
        fh.write('static const double REF_DEMO_BGNBD[4] = %s;\nstatic const double REF_DEMO_BGNBD_LL = %.17g;\n' % (arr(pb), lb))
        fh.write('static const double REF_DEMO_PNBD[4] = %s;\nstatic const double REF_DEMO_PNBD_LL = %.17g;\n' % (arr(pp), lp))
        fh.write('static const double REF_DEMO_GG[3] = %s;\nstatic const double REF_DEMO_GG_LL = %.17g;\n' % (arr(pg), lg))
        fh.write('static const double REF_SYNTH_BGNBD[4] = %s;\nstatic const double REF_SYNTH_BGNBD_LL = %.17g;\n' % (arr(ps), ls))
        fh.write('static const double REF_SYNTH_TICKS = %.17g;\n' % TICKS)
    with open('test/ref/clv_ref_params.csv', 'w') as fh:
        fh.write('model,param,value\n')
        for name, keys, vals, ll in (('bgnbd', ('r', 'alpha', 'a', 'b'), pb, lb),
                                     ('pareto_nbd', ('r', 'alpha', 's', 'beta'), pp, lp),
                                     ('gamma_gamma', ('p', 'q', 'gamma'), pg, lg)):
            for k, v in zip(keys, vals):
                fh.write('%s,%s,%.17g\n' % (name, k, v))
            # the identified combinations: a / (a + b) (on the ridge the limit's p); s / beta
            # (Pareto/NBD's dropout rate on its ridge)
            if name == 'bgnbd':
                fh.write('bgnbd,a/(a+b),%.17g\n' % (vals[2] / (vals[2] + vals[3])))
            if name == 'pareto_nbd':
                fh.write('pareto_nbd,s/beta,%.17g\n' % plim[2])
            fh.write('%s,loglik,%.17g\n' % (name, ll))
    # a few scores on the demo fit for the regression test; BG/NBD in the limit a + b ->
    # infinity: P(alive) = 1 / (1 + p / (1 - p) ((alpha + T) / (alpha + t_x))^(r + x)) and
    # E[X(t)] = (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p / (1 + ...), the limit of
    # 2F1(r + x, b + x; a + b + x - 1; z) being (1 - (1 - p) z)^-(r + x)
    with open('test/ref/clv_ref_scores.csv', 'w') as fh:
        fh.write('household_id,x,tx,T,m,p_alive_bgnbd,exp13_bgnbd,p_alive_pnbd,spend\n')
        r, al, q = pl
        for i in range(0, len(ids), 250):
            xi, txi, Ti, t = x[i], tx[i], T[i], 13.0
            odds = 0.0 if xi == 0 else q / (1 - q) * ((al + Ti) / (al + txi)) ** (r + xi)
            pa = 1 / (1 + odds)
            e = (1 - ((al + Ti) / (al + Ti + q * t)) ** (r + xi)) / q / (1 + odds)
            # Pareto/NBD in the limit: P(alive) = A / (A + D)
            r2, al2, mu2 = plim
            la = -(r2 + xi) * np.log(al2 + Ti) - mu2 * Ti
            ll1 = pnbd_rows_quad(plim, np.array([xi]), np.array([txi]), np.array([Ti]), True)[0]
            pa2 = np.exp(gammaln(r2 + xi) - gammaln(r2) + r2 * np.log(al2) + la - ll1)
            pg_, q_, g_ = pg
            sp = pg_ * g_ / (q_ - 1) if not np.isfinite(m[i]) else pg_ * (g_ + m[i] * xi) / (pg_ * xi + q_ - 1)
            fh.write('%d,%d,%.17g,%.17g,%s,%.17g,%.17g,%.17g,%.17g\n'
                     % (ids[i], xi, txi, Ti, '' if not np.isfinite(m[i]) else '%.17g' % m[i], pa, e, pa2, sp))


if __name__ == '__main__':
    main()
