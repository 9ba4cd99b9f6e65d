#!/usr/bin/python3
"""kmeans_ref.py -- reference values for mktdb's k-means tests, from scikit-learn.

Writes
  test/data/kmeans_<dataset>.csv   the data (id, f1..fd), for the regression test to \\copy
  test/ref/kmeans_ref.csv          per dataset and scaling: scikit-learn's inertia with
                                   n_init=10 (random_state 0), the best inertia seen over
                                   20 such runs, silhouette, sizes and centroids (original
                                   units, ordered like mktdb: size descending, then the
                                   centroid lexicographically).

Datasets: scikit-learn's bundled iris, wine, breast_cancer, digits, and a small
synthetic set (4 Gaussian blobs of unequal size and spread, numpy seed 20240501).
Run from the repository root:  /usr/bin/python3 test/ref/kmeans_ref.py
"""
import csv
import os
import sys

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def synthetic():
    rng = np.random.default_rng(20240501)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 1.0, -2.0], [-4.0, 7.0, 3.0], [3.0, -6.0, 8.0]])
    sizes = [120, 90, 60, 30]
    spread = [1.0, 1.5, 0.7, 2.0]
    parts = [rng.normal(c, s, size=(n, 3)) for c, n, s in zip(centres, sizes, spread)]
    x = np.vstack(parts)
    return np.round(x, 6)  # what the CSV holds is what both sides fit


DATA = {
    'iris': (lambda: datasets.load_iris().data, 3),
    'wine': (lambda: datasets.load_wine().data, 3),
    'breast_cancer': (lambda: datasets.load_breast_cancer().data, 2),
    'digits': (lambda: datasets.load_digits().data, 10),
    'synthetic': (synthetic, 4),
}
SCALERS = {
    'zscore': lambda x: StandardScaler().fit(x),   # population sd, constant columns scale 1
    'minmax': lambda x: MinMaxScaler().fit(x),     # constant columns range 1
    'none': None,
}


def fmt(v):
    return repr(float(v))


def main():
    out = []
    for name, (load, k) in DATA.items():
        x = np.asarray(load(), dtype=float)
        with open(os.path.join(ROOT, 'test', 'data', 'kmeans_%s.csv' % name), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['id'] + ['f%d' % (j + 1) for j in range(x.shape[1])])
            for i, row in enumerate(x):
                w.writerow([i + 1] + [repr(float(v)) if v != int(v) else str(int(v)) for v in row])
        for scaling, make in SCALERS.items():
            sc = make(x) if make else None
            z = sc.transform(x) if sc else x
            km = KMeans(n_clusters=k, n_init=10, algorithm='lloyd', tol=0.0, max_iter=300,
                        random_state=0).fit(z)
            best = min(KMeans(n_clusters=k, n_init=10, algorithm='lloyd', tol=0.0, max_iter=300,
                              random_state=s).fit(z).inertia_ for s in range(20))
            sil = silhouette_score(z, km.labels_)
            sizes = np.bincount(km.labels_, minlength=k)
            cent = sc.inverse_transform(km.cluster_centers_) if sc else km.cluster_centers_
            order = sorted(range(k), key=lambda j: (-sizes[j], tuple(cent[j])))
            out.append({
                'dataset': name, 'scaling': scaling, 'k': k, 'n': x.shape[0], 'd': x.shape[1],
                'inertia': fmt(km.inertia_), 'best_inertia': fmt(best), 'silhouette': fmt(sil),
                'sizes': '{' + ','.join(str(int(sizes[j])) for j in order) + '}',
                'centroids': '{' + ','.join(fmt(v) for j in order for v in cent[j]) + '}',
            })
            print('%-14s %-7s k=%-2d inertia %.6f best %.6f silhouette %.6f' %
                  (name, scaling, k, km.inertia_, best, sil), file=sys.stderr)
    with open(os.path.join(ROOT, 'test', 'ref', 'kmeans_ref.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    print('scikit-learn %s, numpy %s' % (sklearn.__version__, np.__version__), file=sys.stderr)


if __name__ == '__main__':
    main()
