"""Builds the compiled passes of the render engine.

Every `pixtok/**/*.pyx` is a Cython module: a per-text stage of the engine (compositing glyph
pixels, line breaking, placement, itemizing) as one loop in C rather than many numpy calls,
whose fixed cost per call dominated texts of a few hundred characters (docs/performance.md).
Everything else about the package is declared in pyproject.toml.
"""

from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import setup

SOURCES = sorted(str(path) for path in Path("pixtok").rglob("*.pyx"))

EXTENSIONS = cythonize(
    SOURCES,
    compiler_directives={
        "language_level": 3,
        "boundscheck": False,
        "wraparound": False,
        "initializedcheck": False,
        "cdivision": True,
    },
)
# The passes read their array arguments through numpy's C API (ARRAYS: shared declarations,
# listed so that a source distribution carries them and a change to them rebuilds the passes).
ARRAYS = "pixtok/render/_arrays.pxd"
for extension in EXTENSIONS:
    extension.include_dirs.append(numpy.get_include())
    extension.define_macros.append(("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"))
    extension.depends.append(ARRAYS)

setup(ext_modules=EXTENSIONS)
