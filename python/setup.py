"""Builds the vernier extension: python/vernier/_core.c over the library sources in
../src (include/vernier.h is the only interface _core.c uses). Library flags as the
Makefile's: C11, -ffp-contract=off (compensated sums), never fast-math; zlib, SQLite and
libyaml through pkg-config.

    /usr/bin/python3 -m pip install --no-build-isolation ./python
    make python            # in place, for the tests (python/vernier/_core*.so)
"""
import glob
import os
import re
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def rel(p):
    return os.path.relpath(p, HERE)


def pkg_config(flag):
    try:
        out = subprocess.run(["pkg-config", flag, "zlib", "sqlite3", "yaml-0.1"],
                             check=True, capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = [] if flag == "--cflags" else ["-lz", "-lsqlite3", "-lyaml"]
    return out


def version():
    text = open(os.path.join(ROOT, "include", "vernier.h")).read()
    return re.search(r'#define VN_VERSION "([^"]+)"', text).group(1)


sources = [rel(os.path.join(HERE, "vernier", "_core.c"))] + sorted(
    rel(p) for p in glob.glob(os.path.join(ROOT, "src", "*.c")))

core = Extension(
    "vernier._core",
    sources=sources,
    include_dirs=[rel(os.path.join(ROOT, "include")), rel(os.path.join(ROOT, "src"))],
    extra_compile_args=["-std=c11", "-D_GNU_SOURCE", "-ffp-contract=off", "-O2",
                        "-fvisibility=hidden", "-Wno-psabi"] + pkg_config("--cflags"),
    extra_link_args=pkg_config("--libs") + ["-lm", "-lpthread"],
)

setup(version=version(), ext_modules=[core])
