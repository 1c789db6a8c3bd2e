"""Imports every command module so that each registers its commands on the shared app."""

from pixtok.cli import compare, encoders, fonts, ocr, patchify, render, sweep, tokens, typos  # noqa: F401
