"""Whether the file system under the tests keeps extended attributes: a complete corpus output
keeps the signature of its options in one, and a resume where it cannot measures its last
record again instead (pixtok/corpus/runlog.py)."""

from __future__ import annotations

import os
from pathlib import Path


def keeps_user_xattrs(folder: Path) -> bool:
    """Whether files in `folder` keep `user.*` extended attributes (where a complete output keeps
    the signature of its options; without them, a resume measures its last record again)."""
    probe = folder / ".xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, b"user.pixtok.probe", b"1")
        return os.getxattr(probe, b"user.pixtok.probe") == b"1"
    except (OSError, AttributeError):
        return False
    finally:
        probe.unlink()
