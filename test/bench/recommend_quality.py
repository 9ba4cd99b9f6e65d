#!/usr/bin/python3
"""Recommendation quality: mktdb.recommend_train against most-popular and EASE (Steck 2019, numpy).

Datasets (implicit feedback, user x item):
  planted  -- deterministic synthetic data with planted taste clusters (made here, seed 1)
  msweb    -- ../shared/data/msweb/visits_train.csv.gz (32,711 users x 285 site areas)
  cj       -- ../shared/data/completejourney_sample household x product purchases (weight = number
              of purchase lines), items bought by >= 5 households, households with >= 5 such items
Protocol: per user with >= 2 items, a seeded random 20 % (at least 1) of the items is held out;
Recall@10 (hits / min(10, held-out)) and NDCG@10 over the full ranking of every item not in
the user's training items, averaged over the users with held-out items.

mktdb runs inside PostgreSQL (psql to $PGHOST/$PGPORT, database $BENCH_DB), with the SPEC
defaults unless --grid is given; EASE's lambda is chosen on the test split itself (a generous
baseline).  --grid tunes mktdb on a validation split carved out of the training data (seed 2)
and reports the chosen configuration on the test split.

--validate compares a fixed list of principled variants of the defaults (VARIANTS: frequency
scaling exponent, iterations, CG steps, exact solves, factors, log confidence) on the validation
split of every dataset, picks the variant with the best worst-case NDCG ratio to EASE (EASE's lambda
also chosen on validation), and only then reports every variant on the test split.

--validate-grid does the same over the joint grid regularization x alpha x frequency_scaling
(JOINT) and measures only the defaults and the chosen point on the test split.

--oracle measures settings along the direction that helps msweb (ORACLE) directly on the test split,
i.e. tuned with hindsight: an upper bound on what ALS reaches, not a way to choose defaults.

Default run: per dataset, most popular, PureSVD (rank best on test), EASE with lambda best on the
test split (hindsight, numpy), and mktdb with its defaults, method 'ease', method 'als' and 'ease'
unpruned (what keeping each item's 256 strongest weights costs); ratios to hindsight EASE.
--grid adds mktdb 'ease' at the hindsight lambda.
  skewed   -- synthetic: Zipf(1.1) item popularity, 40 topics, 8,000 users x 3,000 items (seed 3)

Run: test/bench/recommend_quality.sh [--grid | --validate | --validate-grid | --oracle] [planted] [msweb] [cj] [skewed]
"""
import io
import itertools
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

DATA = os.environ.get('MKTDB_DATA', os.path.join(os.path.dirname(__file__), '../../../shared/data'))
DB = os.environ.get('BENCH_DB', 'mk_bench_recommend')
K = 10
MODEL = os.environ.get('BENCH_MODEL', 'bench_rec')


def psql(sql, stdin=None):
    r = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', DB, '-c', sql],
                       input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout


# ---------------------------------------------------------------- datasets

def planted(seed=1, n_users=6000, n_items=1500, n_clusters=25):
    rng = np.random.default_rng(seed)
    item_cluster = rng.integers(0, n_clusters, n_items)
    item_pop = rng.zipf(1.6, n_items).clip(1, 200).astype(float)
    rows = []
    for u in range(n_users):
        fav = rng.choice(n_clusters, size=rng.integers(1, 3), replace=False)
        n = 3 + rng.poisson(12)
        in_fav = np.isin(item_cluster, fav)
        p_fav = item_pop * in_fav
        p_fav /= p_fav.sum()
        p_all = item_pop / item_pop.sum()
        for _ in range(n):
            i = rng.choice(n_items, p=p_fav) if rng.random() < 0.8 else rng.choice(n_items, p=p_all)
            rows.append((u, i, float(rng.integers(1, 4))))
    df = pd.DataFrame(rows, columns=['u', 'i', 'w'])
    return df.groupby(['u', 'i'], as_index=False)['w'].sum()


def skewed(seed=3, n_users=8000, n_items=3000, n_topics=40):
    """Synthetic, with a realistic popularity skew: item popularity Zipf(1.1) over the whole
    catalog, users with 1-3 topics, basket sizes geometric (mean ~12), 60 % of picks in-topic."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, n_items + 1) ** 1.1
    pop = pop[rng.permutation(n_items)]
    topic = rng.integers(0, n_topics, n_items)
    p_all = pop / pop.sum()
    rows = []
    for u in range(n_users):
        fav = rng.choice(n_topics, size=rng.integers(1, 4), replace=False)
        p_fav = pop * np.isin(topic, fav)
        p_fav /= p_fav.sum()
        n = 2 + rng.geometric(1 / 11.0)
        picks = np.where(rng.random(n) < 0.6, rng.choice(n_items, n, p=p_fav), rng.choice(n_items, n, p=p_all))
        rows.extend((u, int(i), 1.0) for i in picks)
    df = pd.DataFrame(rows, columns=['u', 'i', 'w'])
    return df.groupby(['u', 'i'], as_index=False)['w'].sum()


def msweb():
    df = pd.read_csv(os.path.join(DATA, 'msweb/visits_train.csv.gz'))
    df = df.rename(columns={'user_id': 'u', 'vroot_id': 'i'}).drop_duplicates()
    df['w'] = 1.0
    return df[['u', 'i', 'w']]


def completejourney():
    t = pd.read_csv(os.path.join(DATA, 'completejourney_sample/transactions_sample.csv.gz'))
    df = t.groupby(['household_id', 'product_id']).size().reset_index(name='w')
    df = df.rename(columns={'household_id': 'u', 'product_id': 'i'})
    for _ in range(3):  # 5-core-ish filtering, a few rounds
        df = df[df.groupby('i')['u'].transform('size') >= 5]
        df = df[df.groupby('u')['i'].transform('size') >= 5]
    df['w'] = df['w'].astype(float)
    return df


def split(df, seed, frac=0.2):
    rng = np.random.default_rng(seed)
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df['r'] = df.groupby('u').cumcount()
    df['n'] = df.groupby('u')['u'].transform('size')
    n_test = np.maximum(1, np.floor(frac * df['n'])).astype(int)
    test_mask = (df['n'] >= 2) & (df['r'] < n_test)
    del rng
    return df[~test_mask][['u', 'i', 'w']].copy(), df[test_mask][['u', 'i', 'w']].copy()


# ---------------------------------------------------------------- metrics

def evaluate(recs, test):
    """recs: DataFrame u, i, rank (1..K); test: DataFrame u, i.  Mean Recall@K, NDCG@K."""
    truth = test.groupby('u')['i'].apply(set)
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    rec_by_user = recs.sort_values(['u', 'rank']).groupby('u')['i'].apply(list)
    recall, ndcg = [], []
    for u, items in truth.items():
        r = rec_by_user.get(u, [])
        hits = np.array([1.0 if x in items else 0.0 for x in r[:K]])
        m = min(K, len(items))
        recall.append(hits.sum() / m)
        ndcg.append((hits * disc[:len(hits)]).sum() / disc[:m].sum())
    return float(np.mean(recall)), float(np.mean(ndcg))


def topk_from_scores(S, seen_rows, seen_cols, users, items):
    S = S.copy()
    S[seen_rows, seen_cols] = -np.inf
    idx = np.argpartition(-S, K, axis=1)[:, :K]
    part = np.take_along_axis(S, idx, axis=1)
    order = np.argsort(-part, axis=1, kind='stable')
    top = np.take_along_axis(idx, order, axis=1)
    return pd.DataFrame({'u': np.repeat(users, K), 'i': items[top.ravel()],
                         'rank': np.tile(np.arange(1, K + 1), len(users))})


def dense(train):
    users = np.sort(train['u'].unique())
    items = np.sort(train['i'].unique())
    ui = np.searchsorted(users, train['u'].values)
    ii = np.searchsorted(items, train['i'].values)
    return users, items, ui, ii


def most_popular(train, test):
    users, items, ui, ii = dense(train)
    pop = np.bincount(ii, minlength=len(items)).astype(float)
    tu = np.sort(test['u'].unique())
    rows = np.searchsorted(users, tu)
    S = np.tile(pop, (len(tu), 1))
    sel = np.isin(ui, rows)
    return topk_from_scores(S, np.searchsorted(rows, ui[sel]), ii[sel], tu, items)


_EASE_CACHE = {}


def ease(train, test, lam):
    """EASE in numpy; X'X (and X) cached per training set, so a lambda grid inverts only."""
    key = id(train)
    if key not in _EASE_CACHE:
        _EASE_CACHE.clear()
        users, items, ui, ii = dense(train)
        X = np.zeros((len(users), len(items)), dtype=np.float32)
        X[ui, ii] = 1.0
        G = (X.T @ X).astype(np.float64)
        _EASE_CACHE[key] = (users, items, ui, ii, X, G)
    users, items, ui, ii, X, G = _EASE_CACHE[key]
    G = G.copy()
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    B[np.diag_indices_from(B)] = 0.0
    tu = np.sort(test['u'].unique())
    rows = np.searchsorted(users, tu)
    S = X[rows] @ B.astype(np.float32)
    sel = np.isin(ui, rows)
    return topk_from_scores(S.astype(np.float64), np.searchsorted(rows, ui[sel]), ii[sel], tu, items)


def pure_svd(train, test, k):
    """PureSVD (Cremonesi et al. 2010): scores X V_k V_k' of the binary matrix."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import svds
    users, items, ui, ii = dense(train)
    X = sp.csr_matrix((np.ones(len(ui)), (ui, ii)), shape=(len(users), len(items)))
    k = min(k, min(X.shape) - 1)
    _, _, vt = svds(X, k=k, random_state=0)
    tu = np.sort(test['u'].unique())
    rows = np.searchsorted(users, tu)
    S = (X[rows] @ vt.T) @ vt
    sel = np.isin(ui, rows)
    return topk_from_scores(np.asarray(S), np.searchsorted(rows, ui[sel]), ii[sel], tu, items)


# ---------------------------------------------------------------- mktdb

def load(train, table):
    psql('DROP TABLE IF EXISTS %s; CREATE TABLE %s(u bigint, i bigint, w float8)' % (table, table))
    buf = io.StringIO()
    train[['u', 'i', 'w']].to_csv(buf, header=False, index=False)
    psql("\\copy %s FROM STDIN WITH (FORMAT csv)" % table, stdin=buf.getvalue())
    psql('ANALYZE %s' % table)


def mktdb(table, test, **opts):
    opts = dict(opts)
    src = table
    if opts.pop('log_confidence', False):
        # confidence 1 + alpha * log(1 + w / eps), eps = 1, through a query source
        src = 'SELECT u, i, ln(1 + w) AS w FROM %s' % table
    table = src
    args = ''.join(', %s => %r' % (k, v) for k, v in opts.items()).replace('"', "'")
    t0 = time.time()
    out = psql("SELECT train_ms FROM mktdb.recommend_train('" + MODEL + "', '%s', 'u', 'i', 'w'%s)" % (table, args))
    train_ms = float(out.strip())
    csv = psql("COPY (SELECT user_id, item_id, rank FROM mktdb.recommend_all('" + MODEL + "', %d)) "
               "TO STDOUT WITH (FORMAT csv)" % K)
    recs = pd.read_csv(io.StringIO(csv), names=['u', 'i', 'rank'])
    recs = recs[recs['u'].isin(test['u'].unique())]
    return recs, train_ms, time.time() - t0


HINDSIGHT_LAMBDAS = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000]   # EASE's lambda, best on the test split
SPEC_DEFAULTS = {}   # the SQL defaults of mktdb.recommend_train

# --validate: one change at a time from the SQL defaults (plus two joint ones)
VARIANTS = [
    ('defaults', {}),
    ('frequency_scaling 0.5', dict(frequency_scaling=0.5)),
    ('frequency_scaling 0.75', dict(frequency_scaling=0.75)),
    ('iterations 30', dict(iterations=30)),
    ('cg_steps 6', dict(cg_steps=6)),
    ('cholesky', dict(solver='cholesky')),
    ('factors 32', dict(factors=32)),
    ('factors 128', dict(factors=128)),
    ('factors 128 reg 200', dict(factors=128, regularization=200.0)),
    ('reg 200 alpha 10', dict(regularization=200.0, alpha=10.0)),
    ('reg 300 alpha 20', dict(regularization=300.0, alpha=20.0)),
    ('reg 100 alpha 10', dict(regularization=100.0, alpha=10.0)),
    ('reg 200 alpha 20', dict(regularization=200.0, alpha=20.0)),
    ('f128 reg 200 alpha 20', dict(factors=128, regularization=200.0, alpha=20.0)),
    ('reg 500 alpha 50 fs 0', dict(regularization=500.0, alpha=50.0, frequency_scaling=0.0)),
    ('log confidence alpha 5', dict(log_confidence=True)),
    ('log confidence alpha 10', dict(log_confidence=True, alpha=10.0)),
]


def best_ease(train, test):
    best = None
    for lam in [1, 10, 50, 100, 200, 500, 1000, 3000]:
        r = evaluate(ease(train, test, lam), test)
        if best is None or r[1] > best[1][1]:
            best = (lam, r)
    return best


# --validate-grid: the joint grid regularization x alpha x frequency_scaling, same protocol; only
# the defaults and the chosen point are measured on the test split
JOINT = [('defaults', {})] + [('reg %g alpha %g fs %g' % (r, a, f),
                               dict(regularization=r, alpha=a, frequency_scaling=f))
                              for r, a, f in itertools.product([100.0, 200.0, 300.0, 500.0, 1000.0],
                                                               [5.0, 10.0, 20.0, 50.0], [0.0, 0.5, 1.0])]


def validate(names, loaders, variants=VARIANTS, test_all=True):
    data = {}
    for name in names:
        df = loaders[name]()
        train, test = split(df, seed=1)
        tr2, val = split(train, seed=2)
        lam, ev = best_ease(tr2, val)
        load(tr2, 'bench_val_' + name)
        load(train, 'bench_train_' + name)
        data[name] = (train, test, tr2, val, ev)
        print('%s: EASE on validation (lambda %g): recall %.4f ndcg %.4f' % (name, lam, *ev), flush=True)
    score = {}
    for label, opts in variants:
        ratios = []
        for name in names:
            train, test, tr2, val, ev = data[name]
            recs, train_ms, _ = mktdb('bench_val_' + name, val, **opts)
            r = evaluate(recs, val)
            ratios.append(r[1] / ev[1])
            print('  val %-26s %-8s recall %.4f ndcg %.4f  ndcg/EASE %.3f  train %.0f ms'
                  % (label, name, r[0], r[1], ratios[-1], train_ms), flush=True)
        score[label] = min(ratios)
    chosen = max(score, key=score.get)
    print('\nworst-case validation ndcg/EASE: ' + ', '.join('%s %.3f' % kv for kv in score.items()))
    print('chosen on validation: %s\n' % chosen)
    for name in names:
        train, test, tr2, val, ev = data[name]
        lam, et = best_ease(train, test)
        pop = evaluate(most_popular(train, test), test)
        print('%s test: most popular %.4f / %.4f, EASE (lambda %g, best on test) %.4f / %.4f'
              % (name, *pop, lam, *et), flush=True)
        for label, opts in variants:
            if not test_all and label not in ('defaults', chosen):
                continue
            recs, train_ms, _ = mktdb('bench_train_' + name, test, **opts)
            r = evaluate(recs, test)
            print('  test %-26s %-8s recall %.4f ndcg %.4f  / EASE %.3f / %.3f  train %.0f ms%s'
                  % (label, name, r[0], r[1], r[0] / et[0], r[1] / et[1], train_ms,
                     '  <- chosen' if label == chosen else ''), flush=True)


# --oracle: how far can ALS go on msweb at all?  Settings along the direction that helps msweb
# (a smaller weight on unobserved pairs: higher alpha, proportionally higher regularization),
# measured on the TEST split itself, i.e. tuned with hindsight: an upper bound, not a method.
ORACLE = [(100, 5, 1), (500, 50, 0.5), (1000, 100, 0.5), (2000, 200, 0.5), (1000, 100, 0), (3000, 300, 0),
          (1000, 200, 0), (1000, 500, 0), (500, 200, 0), (300, 100, 0), (500, 500, 0), (1000, 1000, 0),
          (200, 200, 0), (500, 200, 0.5), (1000, 500, 0.5), (2000, 1000, 0)]


def oracle(name, loaders):
    df = loaders[name]()
    train, test = split(df, seed=1)
    load(train, 'bench_train_' + name)
    lam, et = best_ease(train, test)
    print('%s test: EASE (lambda %g, best on test) recall %.4f ndcg %.4f' % (name, lam, *et), flush=True)
    best = None
    for r, a, f in ORACLE:
        recs, train_ms, _ = mktdb('bench_train_' + name, test, regularization=float(r), alpha=float(a),
                                  frequency_scaling=float(f))
        ev = evaluate(recs, test)
        print('  reg %-5g alpha %-5g fs %-4g recall %.4f ndcg %.4f  / EASE %.3f / %.3f  train %.0f ms'
              % (r, a, f, ev[0], ev[1], ev[0] / et[0], ev[1] / et[1], train_ms), flush=True)
        if best is None or ev[1] > best[1]:
            best = ((r, a, f), ev[1])
    print('best on the test split: reg %g alpha %g fs %g, ndcg / EASE %.3f' % (*best[0], best[1] / et[1]))


# --scan: ALS in hindsight (test split) over factors x alpha x regularization x frequency_scaling,
# to find what closes ALS's gap to EASE (an upper bound, not a way to choose defaults).
SCAN = [(f, a, ra, fs) for f in [64] for a in [5.0, 20.0, 100.0] for ra in [5.0, 20.0, 50.0]
        for fs in [0.0, 0.5, 1.0]]


def scan(name, loaders, points):
    # SCAN_OPTS='solver=cholesky iterations=30': more arguments for every point
    extra = {k: (v if not v.replace('.', '').isdigit() else (float(v) if '.' in v else int(v)))
             for k, v in (o.split('=') for o in os.environ.get('SCAN_OPTS', '').split())}
    df = loaders[name]()
    train, test = split(df, seed=1)
    load(train, 'bench_train_' + name)
    lam, et = best_ease(train, test)
    print('%s test: EASE (lambda %g, best on test) recall %.4f ndcg %.4f' % (name, lam, *et), flush=True)
    for f, a, ra, fs in points:
        recs, train_ms, _ = mktdb('bench_train_' + name, test, method='als', factors=f, alpha=a,
                                  regularization=a * ra, frequency_scaling=fs, precompute_n=10, **extra)
        ev = evaluate(recs, test)
        print('  f %-4d alpha %-5g reg %-6g fs %-4g %s recall %.4f ndcg %.4f  / EASE %.3f  train %.0f ms'
              % (f, a, a * ra, fs, extra or '', ev[0], ev[1], ev[1] / et[1], train_ms), flush=True)


# --als: only method 'als' with its defaults (the validated grid) against hindsight EASE
def als_only(name, loaders):
    df = loaders[name]()
    train, test = split(df, seed=1)
    load(train, 'bench_train_' + name)
    lam, et = max(((lam, evaluate(ease(train, test, lam), test)) for lam in HINDSIGHT_LAMBDAS),
                  key=lambda x: x[1][1])
    recs, train_ms, _ = mktdb('bench_train_' + name, test, method='als')
    ev = evaluate(recs, test)
    m = psql("SELECT concat_ws(' ', metrics->>'alpha', metrics->>'regularization', metrics->'validation') "
             "FROM mktdb.models WHERE name = '%s'" % MODEL).strip()
    print("%s: 'als' defaults recall %.4f ndcg %.4f / hindsight EASE (lambda %g) %.4f = %.3f  train %.0f ms; "
          "alpha, reg chosen: %s" % (name, ev[0], ev[1], lam, et[1], ev[1] / et[1], train_ms, m), flush=True)


def main():
    grid = '--grid' in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith('--')] or ['planted', 'msweb', 'cj', 'skewed']
    loaders = {'planted': planted, 'msweb': msweb, 'cj': completejourney, 'skewed': skewed}
    psql('CREATE EXTENSION IF NOT EXISTS mktdb')
    print('machine: %s, %d cores' % (open('/proc/cpuinfo').read().split('model name')[1].split('\n')[0]
                                     .split(':', 1)[1].strip(), os.cpu_count()))
    if '--validate' in sys.argv:
        validate(names, loaders)
        return
    if '--oracle' in sys.argv:
        for name in names:
            oracle(name, loaders)
        return
    if '--als' in sys.argv:
        for name in names:
            als_only(name, loaders)
        return
    if '--scan' in sys.argv:
        pts = SCAN
        if os.environ.get('SCAN_POINTS'):
            pts = [tuple(float(x) for x in p.split(':')) for p in os.environ['SCAN_POINTS'].split()]
            pts = [(int(f), a, ra, fs) for f, a, ra, fs in pts]
        for name in names:
            scan(name, loaders, pts)
        return
    if '--validate-grid' in sys.argv:
        validate(names, loaders, JOINT, test_all=False)
        return
    for name in names:
        if name not in ('planted', 'skewed') and not os.path.exists(DATA):
            print('%s: data folder %s is absent, skipped' % (name, DATA))
            continue
        df = loaders[name]()
        train, test = split(df, seed=1)
        print('\n== %s: %d users, %d items, %d interactions; %d test users, %d held-out pairs'
              % (name, df.u.nunique(), df.i.nunique(), len(df), test.u.nunique(), len(test)), flush=True)
        res = {}
        t0 = time.time()
        res['most popular'] = evaluate(most_popular(train, test), test)
        print('%-44s recall@10 %.4f  ndcg@10 %.4f  (%.1f s)' % ('most popular', *res['most popular'], time.time() - t0))
        best = None
        for k in [16, 64, 128]:
            r = evaluate(pure_svd(train, test, k), test)
            if best is None or r[1] > best[1][1]:
                best = (k, r)
        res['PureSVD'] = best[1]
        print('%-44s recall@10 %.4f  ndcg@10 %.4f' % ('PureSVD (rank %d, best on test)' % best[0], *best[1]))
        best = None
        for lam in HINDSIGHT_LAMBDAS:
            t0 = time.time()
            r = evaluate(ease(train, test, lam), test)
            if best is None or r[1] > best[1][1]:
                best = (lam, r, time.time() - t0)
        res['EASE'] = best[1]
        print('%-44s recall@10 %.4f  ndcg@10 %.4f  (numpy, %.1f s per fit)'
              % ('EASE (lambda %g, best on test: hindsight)' % best[0], *best[1], best[2]), flush=True)
        load(train, 'bench_train')
        runs = [('mktdb defaults', {}), ("mktdb method 'ease'", dict(method='ease')),
                ("mktdb method 'als'", dict(method='als')),
                ("mktdb 'ease' unpruned (neighbors 100000)", dict(method='ease', neighbors=100000))]
        if grid:
            runs.append(("mktdb 'ease' lambda %g (hindsight)" % best[0], dict(method='ease', regularization=float(best[0]))))
        for label, opts in runs:
            recs, train_ms, wall = mktdb('bench_train', test, **opts)
            res[label] = evaluate(recs, test)
            m = psql("SELECT concat_ws(' ', metrics->>'method', metrics->>'regularization') FROM mktdb.models "
                     "WHERE name = 'bench_rec'").strip()
            print('%-44s recall@10 %.4f  ndcg@10 %.4f  (train %.0f ms; %s)' % (label, *res[label], train_ms, m),
                  flush=True)
        b = res['EASE']
        for k in [k for k in res if k not in ('EASE',)]:
            print('ratio %-44s / hindsight EASE: recall %.3f, ndcg %.3f' % (k, res[k][0] / b[0], res[k][1] / b[1]))


if __name__ == '__main__':
    main()
