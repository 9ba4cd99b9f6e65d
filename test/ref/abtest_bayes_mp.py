#!/usr/bin/env python3
"""abtest_bayes_mp.py -- P(Y > X) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2) to 40 digits with mpmath,
the reference of mk_ab_beta_gt_quad (test/unit/test_abtest.c): by Evan Miller's finite sum where a2 is an
integer, else by mpmath's quadrature of f_Y(y) I_y(a1, b1) cut at both means +- k sd.
Writes abtest_ref_bayes_mp.csv: a1,b1,a2,b2,p (P(Y > X)),q (P(X > Y)), 20 significant digits.
    python3 test/ref/abtest_bayes_mp.py > test/ref/abtest_ref_bayes_mp.csv
"""
from mpmath import mp, beta, betainc, exp, fsum, log, quad, sqrt, nstr

mp.dps = 40


def gt_sum(a1, b1, a2, b2):
    lb = log(beta(a1, b1))
    return fsum(exp(log(beta(a1 + i, b1 + b2)) - log(b2 + i) - log(beta(1 + i, b2)) - lb) for i in range(int(a2)))


def gt_quad(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    lb2 = log(beta(a2, b2))
    pts = {mp.mpf(0), mp.mpf(1)}
    for a, b in ((a1, b1), (a2, b2)):
        m, sd = a / (a + b), sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        for k in (0, 1, 2, 4, 8, 16, 40):
            for s in (-1, 1):
                v = m + s * k * sd
                if 0 < v < 1:
                    pts.add(v)
    f = lambda y: exp((a2 - 1) * log(y) + (b2 - 1) * log(1 - y) - lb2) * betainc(a1, b1, 0, y, regularized=True)
    return quad(f, sorted(pts))


cases = [(11, 91, 15, 87), (1, 21, 4, 18), (121, 881, 101, 901), (482, 9525, 532, 9475),
         (2501, 47501, 2611, 47391), (6, 5, 2, 11), (3001, 57001, 2951, 57051), (50, 950, 120, 880),
         (1, 30, 30, 1), (20001, 380001, 20501, 379501),
         (4.5, 5.5, 5.5, 6.5), (0.5, 20.5, 3.5, 17.5), (12.5, 388.5, 30.5, 380.5), (300.5, 9700.5, 340.5, 9660.5)]
print("a1,b1,a2,b2,p,q")
for c in cases:
    if all(float(v).is_integer() for v in c):
        p, q = gt_sum(*c), gt_sum(c[2], c[3], c[0], c[1])
    else:
        p, q = gt_quad(*c), gt_quad(c[2], c[3], c[0], c[1])
    print(",".join(str(v) for v in c) + "," + nstr(p, 20, min_fixed=1, max_fixed=0) + "," + nstr(q, 20, min_fixed=1, max_fixed=0))
