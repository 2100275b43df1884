# At the repo root, not in tests/: a conftest there would put tests/ on sys.path, where tests/streams
# would shadow the streams package.
"""Suite-wide settings. Under CI, Hypothesis draws the same examples every run so a landing never
depends on a lucky draw; locally it explores freely (and remembers failures in .hypothesis/)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
