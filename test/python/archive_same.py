"""Compares the data trees of two archives with h5py: the same groups, datasets (dtype, shape, values)
and attributes, except the moments they were written (attributes or datasets named created_at,
saved_at, extracted_at, or ending in _timestamp). Byte layout and timestamps may differ.

Usage: archive_same.py <a.h5> <b.h5>
Prints "archive_same: OK (<n> datasets)" and exits 0 when they agree; else prints the differences, exit 1.
"""
import sys

import h5py
import numpy as np

WHEN = {"created_at", "saved_at", "extracted_at"}


def is_when(name):
    return name in WHEN or name.endswith("_timestamp")


def same_value(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype.kind == "f":
        return np.array_equal(x, y, equal_nan=True)
    return np.array_equal(x, y)


def compare(a, b):
    problems = []
    count = 0

    def attrs(o1, o2, where):
        k1 = {k for k in o1.attrs if not is_when(k)}
        k2 = {k for k in o2.attrs if not is_when(k)}
        if k1 != k2:
            problems.append(f"{where}: attributes differ: {sorted(k1 ^ k2)}")
        for k in sorted(k1 & k2):
            if not same_value(o1.attrs[k], o2.attrs[k]):
                problems.append(f"{where}@{k}: {o1.attrs[k]!r} != {o2.attrs[k]!r}")

    def walk(g1, g2, where):
        nonlocal count
        attrs(g1, g2, where or "/")
        n1 = {k for k in g1 if not is_when(k)}
        n2 = {k for k in g2 if not is_when(k)}
        if n1 != n2:
            problems.append(f"{where or '/'}: members differ: {sorted(n1 ^ n2)}")
        for k in sorted(n1 & n2):
            o1, o2 = g1[k], g2[k]
            path = f"{where}/{k}"
            if isinstance(o1, h5py.Group) != isinstance(o2, h5py.Group):
                problems.append(f"{path}: a group in one, a dataset in the other")
            elif isinstance(o1, h5py.Group):
                walk(o1, o2, path)
            else:
                count += 1
                attrs(o1, o2, path)
                if not same_value(o1[()], o2[()]):
                    problems.append(f"{path}: values differ ({o1.dtype}{o1.shape} vs {o2.dtype}{o2.shape})")

    walk(a, b, "")
    return problems, count


if __name__ == "__main__":
    with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
        problems, count = compare(a, b)
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(1)
    print(f"archive_same: OK ({count} datasets)")
