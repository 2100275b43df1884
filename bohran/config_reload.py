"""Hot reload of `bohran.yaml`: on a file change or SIGHUP, validate, then apply or keep the old one.

An invalid file never replaces a working config: the worker logs every problem (path and line),
counts the rejection (`bohran_config_reloads_total{result="rejected"}`) and keeps running as it was.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from bohran.config import BohranConfig, ConfigError, load_config
from streams import metrics

log = logging.getLogger("bohran.config")


class ConfigReloader:
    """Checks the file's content hash; calls every applier with a new valid config."""

    def __init__(self, path: str | Path, current: BohranConfig, appliers: list[Callable[[BohranConfig], None]]) -> None:
        self.path = Path(path)
        self.current = current
        self.appliers = appliers
        self._digest = self._read_digest()
        self.last_error: list[str] = []

    def _read_digest(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def check(self, *, force: bool = False) -> bool | None:
        """Reload if the file changed (or `force`); True applied, False rejected, None unchanged."""
        digest = self._read_digest()
        if not force and (digest is None or digest == self._digest):
            return None
        self._digest = digest
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            self.last_error = exc.problems
            log.error("config reload rejected, keeping the running config: %s", "; ".join(exc.problems))
            metrics.record_config_reload(False)
            return False
        for apply in self.appliers:
            apply(config)
        self.current = config
        self.last_error = []
        metrics.set_configured_channels([c.name for c in config.alerting.channels])
        metrics.record_config_reload(True)
        log.info("config reloaded from %s: %d brands", self.path, len(config.brands))
        return True
