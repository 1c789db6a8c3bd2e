"""`python -m pixtok` runs the command line."""

from pixtok.cli import main

main()
