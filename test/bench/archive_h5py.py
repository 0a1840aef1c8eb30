"""h5py reference for the object-heavy archive benchmark (test/bench/archive.bench.ts).

Usage: archive_h5py.py <archive.h5> <copy.h5> <rounds>

Loads every dataset and every attribute of <archive.h5> into memory (a dict tree of numpy arrays),
then writes that tree to <copy.h5> with the same groups, datasets, dtypes, shapes and attributes.
Both are timed inside Python, so the interpreter's start-up and imports are measured apart. Prints
one JSON line: {"startup_s": ..., "load_s": [...], "save_s": [...], "load_cpu_s": [...], "save_cpu_s": [...],
"datasets": n, "groups": n} (wall and CPU seconds of each round).
"""

import json
import os
import sys
import time

T0 = time.perf_counter()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

STARTUP = time.perf_counter() - T0


def load(path):
    """Reads the whole file: {'attrs': {...}, 'children': {name: node}} for groups, (array, attrs) for datasets."""
    counts = {"datasets": 0, "groups": 0}

    def read_group(g):
        counts["groups"] += 1
        node = {"attrs": {k: g.attrs[k] for k in g.attrs}, "children": {}}
        for name, obj in g.items():
            if isinstance(obj, h5py.Group):
                node["children"][name] = read_group(obj)
            else:
                counts["datasets"] += 1
                node["children"][name] = (obj[()], {k: obj.attrs[k] for k in obj.attrs})
        return node

    with h5py.File(path, "r") as f:
        tree = read_group(f)
    return tree, counts


def save(tree, path):
    def write_group(g, node):
        for k, v in node["attrs"].items():
            g.attrs[k] = v
        for name, child in node["children"].items():
            if isinstance(child, dict):
                write_group(g.create_group(name), child)
            else:
                data, attrs = child
                ds = g.create_dataset(name, data=data)
                for k, v in attrs.items():
                    ds.attrs[k] = v

    with h5py.File(path, "w") as f:
        write_group(f, tree)


def main():
    src, dst, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    load_s, save_s, load_cpu_s, save_cpu_s = [], [], [], []
    counts = {}
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        tree, counts = load(src)
        load_s.append(time.perf_counter() - t)
        load_cpu_s.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        save(tree, dst)
        save_s.append(time.perf_counter() - t)
        save_cpu_s.append(time.process_time() - c)
        os.remove(dst)
        del tree
    print(json.dumps({"startup_s": STARTUP, "load_s": load_s, "save_s": save_s, "load_cpu_s": load_cpu_s, "save_cpu_s": save_cpu_s,
                      "h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version, **counts}))


if __name__ == "__main__":
    main()
