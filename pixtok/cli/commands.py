"""Imports every command module so that each registers its commands on the shared app."""

from pixtok.cli import tokens  # noqa: F401
from pixtok.cli import encoders, patchify  # noqa: F401
