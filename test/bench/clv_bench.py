#!/usr/bin/python3
"""clv_bench.py -- run by test/bench/clv_bench.sh (which starts the bench cluster).

Data: CUSTOMERS customers (default 1,000,000) drawn from BG/NBD (r, alpha, a, b) =
(0.8, 4, 0.8, 5) in weeks and Gamma-Gamma (p, q, gamma) = (6, 4, 15), first purchases
uniform over two years before 2024-12-31, whole purchase days, one row per purchase.
(a) mktdb.clv_train(...) then SELECT ... FROM mktdb.customer_value(model, 52) (every row);
(b) COPY the rows out, pandas.read_csv, groupby (customer, day) and per customer for
    x, t_x, T, m_x, scipy.optimize.minimize (BFGS on log-parameters, vectorised numpy
    likelihoods, as a Python user would write them) for BG/NBD and Gamma-Gamma, then numpy
    + scipy.special.hyp2f1 scoring of P(alive), expected purchases, spend and CLV.
"""
import io
import os
import sys
import time

import numpy as np
import pandas as pd
import psycopg2
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

N = int(os.environ.get('CUSTOMERS', '1000000'))
DB = os.environ.get('BENCH_DB', 'clv_bench')
CAL = np.datetime64('2024-12-31')


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def generate(cur):
    rng = np.random.default_rng(42)
    r, al, a, b = 0.8, 4.0, 0.8, 5.0
    lam = rng.gamma(r, 1.0 / al, N) / 7.0          # per day
    p = rng.beta(a, b, N)
    age = rng.integers(0, 730, N)                  # days from first purchase to CAL
    nu = rng.gamma(4.0, 1.0 / 15.0, N)
    K = 40
    gaps = rng.exponential(1.0, (N, K)) / lam[:, None]
    times = np.cumsum(gaps, axis=1)
    alive_n = rng.geometric(p)                     # repeat purchases made before dropping out
    ok = (times <= age[:, None]) & (np.arange(K)[None, :] < alive_n[:, None])
    cust = np.concatenate([np.arange(N), np.nonzero(ok)[0]])
    off = np.concatenate([np.zeros(N), times[ok]]).astype(int)
    day = CAL - age[cust].astype('timedelta64[D]') + off.astype('timedelta64[D]')
    amt = np.round(rng.gamma(6.0, 1.0 / nu[cust]), 2)
    df = pd.DataFrame({'c': cust + 1, 'd': day.astype(str), 'a': amt})
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False)
    buf.seek(0)
    cur.execute('DROP TABLE IF EXISTS purchases')
    cur.execute('CREATE TABLE purchases (customer_id bigint, day date, amount numeric(12,2))')
    cur.copy_expert('COPY purchases FROM STDIN WITH (FORMAT csv)', buf)
    cur.execute('VACUUM ANALYZE purchases')
    return len(df)


def bg_ll(th, x, tx, T):
    r, al, a, b = np.exp(th)
    c = gammaln(r + x) - gammaln(r) + r * np.log(al)
    l1 = c + betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(al + T)
    with np.errstate(all='ignore'):
        l2 = np.where(x > 0, c + betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(al + tx), -np.inf)
    return -np.logaddexp(l1, l2).sum()


def gg_ll(th, x, m):
    p, q, g = np.exp(th)
    px = p * x
    return -(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
             + px * np.log(x) - (px + q) * np.log(g + m * x)).sum()


def export_workflow(conn):
    t0 = time.perf_counter()
    buf = io.StringIO()
    conn.cursor().copy_expert("COPY (SELECT customer_id, day, amount FROM purchases WHERE day <= '2024-12-31') "
                              "TO STDOUT WITH (FORMAT csv)", buf)
    buf.seek(0)
    df = pd.read_csv(buf, names=['c', 'd', 'a'], parse_dates=['d'])
    t1 = time.perf_counter()
    days = df.groupby(['c', 'd'], sort=True)['a'].sum().reset_index()
    g = days.groupby('c')
    first = g['d'].transform('min')
    days['rep'] = (days['d'] > first) & (days['a'] > 0)
    s = g.agg(n=('d', 'size'), first=('d', 'min'), last=('d', 'max'))
    rep = days[days['rep']].groupby('c')['a'].agg(['sum', 'count'])
    s = s.join(rep)
    x = (s['n'] - 1).to_numpy(float)
    tx = ((s['last'] - s['first']).dt.days / 7.0).to_numpy()
    T = ((pd.Timestamp('2024-12-31') - s['first']).dt.days / 7.0).to_numpy()
    m = (s['sum'] / s['count']).to_numpy()
    t2 = time.perf_counter()
    res = minimize(bg_ll, np.zeros(4), args=(x, tx, T), method='BFGS')
    sel = (x > 0) & np.isfinite(m) & (m > 0)
    gres = minimize(gg_ll, np.zeros(3), args=(x[sel], m[sel]), method='BFGS')
    t3 = time.perf_counter()
    r, al, a, b = np.exp(res.x)
    p, q, gm = np.exp(gres.x)
    h = 52.0
    ratio = (al + T) / (al + tx)
    pa = np.where(x > 0, 1 / (1 + a / (b + x - 1) * ratio ** (r + x)), 1.0)
    e = ((a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + h)) ** (r + x)
         * hyp2f1(r + x, b + x, a + b + x - 1, h / (al + T + h))))
    e /= 1 + (x > 0) * a / (b + x - 1) * ratio ** (r + x)
    spend = np.where(np.isfinite(m), p * (gm + m * x) / (p * x + q - 1), p * gm / (q - 1))
    clv = spend * e
    t4 = time.perf_counter()
    return dict(total=t4 - t0, export=t1 - t0, summary=t2 - t1, fit=t3 - t2, score=t4 - t3,
                loglik=-res.fun, params=np.exp(res.x), clv=float(np.nansum(clv)), n=len(x))


def mktdb_workflow(conn):
    cur = conn.cursor()
    t0 = time.perf_counter()
    cur.execute("SELECT n_customers, params, loglik, train_ms FROM mktdb.clv_train('bench', 'purchases', "
                "'customer_id', 'day', 'amount', calibration_end => '2024-12-31')")
    n, params, ll, train_ms = cur.fetchone()
    t1 = time.perf_counter()
    cur.execute("SELECT count(*), sum(clv) FROM (SELECT * FROM mktdb.customer_value('bench', 52) OFFSET 0) v")
    cnt, total = cur.fetchone()
    t2 = time.perf_counter()
    return dict(total=t2 - t0, train=t1 - t0, score=t2 - t1, loglik=ll, params=params, clv=float(total), n=n)


def main():
    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = True
    cur = conn.cursor()
    log('generating %d customers' % N)
    rows = generate(cur)
    log('%d purchase rows' % rows)
    cur.execute('SELECT count(*) FROM purchases')       # warm the cache
    a = mktdb_workflow(conn)
    b = export_workflow(conn)
    cur.execute("SELECT (metrics->>'read_ms')::float8, (metrics->>'fit_ms')::float8 FROM mktdb.model_versions "
                "WHERE name = 'bench' ORDER BY version DESC LIMIT 1")
    read_ms, fit_ms = cur.fetchone()
    print('customers %d, purchase rows %d' % (a['n'], rows))
    print('(a) mktdb:  %.2f s  (clv_train %.2f s, customer_value %.2f s)' % (a['total'], a['train'], a['score']))
    print('(b) export: %.2f s  (COPY + read_csv %.2f s, pandas summary %.2f s, scipy fit %.2f s, numpy scoring %.2f s)'
          % (b['total'], b['export'], b['summary'], b['fit'], b['score']))
    print('    mktdb reading + summary %.2f s, fit %.2f s = %.1f %% of (a) (goal <= 10 %%)'
          % (read_ms / 1000, fit_ms / 1000, 100 * fit_ms / 1000 / a['total']))
    print('ratio (a)/(b) = %.3f  (goal <= 0.2)' % (a['total'] / b['total']))
    print('loglik mktdb %.6f, scipy %.6f; mktdb params %s; scipy params %s'
          % (a['loglik'], b['loglik'], a['params'], b['params']))
    print('sum of clv: mktdb %.2f, export %.2f' % (a['clv'], b['clv']))


if __name__ == '__main__':
    main()
