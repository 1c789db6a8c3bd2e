"""What every failed command must look like: one `pixtok: error:` line on stderr, the expected
exit code, and no traceback."""

from __future__ import annotations


def one_line_error(result, code: int = 1) -> str:
    """The single `pixtok: error:` line of a failed call (and no traceback)."""
    assert result.exception is None, result.traceback
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("pixtok: error: "), result.stderr
    return result.error_lines[0]
