"""A synthetic three-class dataset with the schema of the pipeline's train/test.parquet.

    python make_synthetic.py OUT_DIR --train 30000 --test 10000 [--seed 1] [--max-particles 60]

Writes OUT_DIR/train.parquet and OUT_DIR/test.parquet: `label` (int32, 0/1/2), the 14
high-level features of sql/04_hlf.sql (float32), `n_particles` (int32) and `particles`
(list<struct<19 x float32>>, the fields of sql/03_particles.sql).

The classes differ a little in the high-level features and a little more in the particles, in a
way a per-feature cut cannot see (a class shifts the momenta of a random third of its
particles), so a sequence model has something to find that the high-level features hide, as in
the real topology classifier. Used where the ML comparison needs more rows than the generated
events give in minutes; sizes and seeds make it reproducible.
"""

import argparse
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HLF = ["ht", "met", "met_phi", "mt", "n_jets", "n_bjets", "lep_pt", "lep_eta", "lep_phi",
       "lep_iso_ch", "lep_iso_gamma", "lep_iso_neu", "lep_charge", "lep_is_ele"]
PARTICLE = ["e", "px", "py", "pz", "pt", "eta", "phi", "vtx_x", "vtx_y", "vtx_z", "iso_ch",
            "iso_gamma", "iso_neu", "is_ch_had", "is_neu_had", "is_gamma", "is_ele", "is_mu", "charge"]


def make(n, rng, max_particles, particles=True):
    labels = rng.integers(0, 3, n).astype(np.int32)
    # High-level features: class means along a fixed random direction plus noise, and one
    # feature that separates only through its square.
    direction = np.random.default_rng(12345).normal(size=len(HLF)) * 0.35
    hlf = rng.normal(size=(n, len(HLF))) + labels[:, None] * direction[None, :]
    hlf[:, 4] = np.abs(hlf[:, 4]) * (1.0 + 0.3 * (labels == 1))
    hlf = hlf.astype(np.float32)

    columns = {"label": pa.array(labels)}
    for j, name in enumerate(HLF):
        columns[name] = pa.array(hlf[:, j])
    if not particles:
        return pa.table(columns)
    lengths = np.minimum(rng.poisson(12 + 6 * labels) + 3, max_particles).astype(np.int32)
    total = int(lengths.sum())
    owner = np.repeat(labels, lengths)
    values = rng.normal(size=(total, len(PARTICLE))).astype(np.float32)
    # A third of the particles of classes 1 and 2 carry a momentum shift.
    marked = (rng.random(total) < 0.33) & (owner > 0)
    values[marked, 1:5] += (0.45 * owner[marked])[:, None]
    flags = rng.integers(0, 5, total)
    values[:, 13:18] = 0.0
    values[np.arange(total), 13 + flags] = 1.0
    values[:, 18] = rng.choice([-1.0, 0.0, 1.0], total)

    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    fields = [pa.field(name, pa.float32(), nullable=False) for name in PARTICLE]
    structs = pa.StructArray.from_arrays([pa.array(values[:, j]) for j in range(len(PARTICLE))], fields=fields)
    particles = pa.ListArray.from_arrays(pa.array(offsets), structs)
    columns["n_particles"] = pa.array(lengths)
    columns["particles"] = particles
    return pa.table(columns)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=30000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-particles", type=int, default=60)
    ap.add_argument("--no-particles", action="store_true", help="high-level features only")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    for name, n in (("train", a.train), ("test", a.test)):
        table = make(n, rng, a.max_particles, not a.no_particles)
        tmp = os.path.join(a.out, f".{name}.parquet.tmp")
        pq.write_table(table, tmp, row_group_size=4096)
        os.replace(tmp, os.path.join(a.out, f"{name}.parquet"))
    print(f"wrote {a.out}/train.parquet ({a.train} rows) and test.parquet ({a.test} rows)")


if __name__ == "__main__":
    main()
