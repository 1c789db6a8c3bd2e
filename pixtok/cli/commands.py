"""Imports every command module so that each registers its commands on the shared app."""

from pixtok.cli import compare, encoders, fonts, patchify, render, tokens  # noqa: F401
from pixtok.cli import typos  # noqa: F401
from pixtok.cli import ocr  # noqa: F401
from pixtok.cli import sweep  # noqa: F401
