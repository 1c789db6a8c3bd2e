"""Registers every command on the shared app, in the order `pixtok --help` lists them."""

import importlib

COMMAND_MODULES = (
    "render",
    "compare",
    "report",
    "tokens",
    "encoders",
    "patchify",
    "fonts",
    "ocr",
    "sweep",
    "study",
    "typos",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"pixtok.cli.{_name}")
