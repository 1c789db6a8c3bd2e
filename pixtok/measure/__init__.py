"""What survives the pixels: density, OCR round trips, legibility, keyboards, typos and distances.

These modules measure rendered pages and texts; they sit above `pixtok.render` and
`pixtok.patches` and below the questions (`pixtok.compare`, `pixtok.sweep`) that combine them.
"""
