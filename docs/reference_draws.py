"""Export the seed lists and population samples that ../shared/data/reference_pu.py draws,
so that `go run ./jobs/evaluate --draws FILE` scores sosie's models on exactly the same data.

    python3 docs/reference_draws.py ../shared/data/bank-full.csv > /tmp/draws.json

Needs NumPy and pandas (Debian: apt-get install python3-pandas python3-sklearn).
"""
import json
import sys

import numpy as np
import pandas as pd


def main(path):
    df = pd.read_csv(path, sep=';')
    y = (df['y'].str.strip() == 'yes').astype(int).values
    out = []
    for k in (100, 500, 1000):
        for rep in range(5):
            # The same calls, in the same order, as reference_pu.py's run().
            rng = np.random.default_rng(1000 + rep)
            pos = np.flatnonzero(y == 1)
            seed = rng.choice(pos, k, replace=False)
            mask = np.ones(len(y), bool)
            mask[seed] = False
            rest = np.flatnonzero(mask)
            unl = rng.choice(rest, min(len(rest), 20 * k), replace=False)
            out.append({'k': k, 'rep': rep, 'seed': seed.tolist(), 'unl': unl.tolist()})
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
