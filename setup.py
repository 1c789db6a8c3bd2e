"""Builds the compiled passes of the render engine.

Every `pixtok/**/*.pyx` is a Cython module: a per-text stage of the engine (compositing glyph
pixels, line breaking, placement, itemizing) as one loop in C rather than many numpy calls,
whose fixed cost per call dominated texts of a few hundred characters (docs/performance.md).
Everything else about the package is declared in pyproject.toml.
"""

from pathlib import Path

from Cython.Build import cythonize
from setuptools import setup

SOURCES = sorted(str(path) for path in Path("pixtok").rglob("*.pyx"))

setup(
    ext_modules=cythonize(
        SOURCES,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "cdivision": True,
        },
    ),
)
