"""Console channel: a readable block on a stream, for `make run` and local demos."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.channels.base import DeliveryFailed
from alerts.notification import Notification
from alerts.render.summary import render_text, summarize

_COLORS = {"critical": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "resolved": "\033[1;32m"}
_RESET = "\033[0m"
RULE_WIDTH = 72


class ConsolePrintChannel:
    kind = "console"

    def __init__(
        self,
        name: str = "console",
        *,
        stream: TextIO | None = None,
        color: bool | None = None,
        tz: str = "UTC",
    ) -> None:
        self.name = name
        self.tz = tz
        self._stream = stream
        self._color = color

    def __repr__(self) -> str:
        return f"ConsolePrintChannel(name={self.name!r})"

    @property
    def stream(self) -> TextIO:
        # Resolved at send time so pytest's capsys and redirected stdout are honoured.
        return self._stream if self._stream is not None else sys.stdout

    def format(self, notification: Notification) -> str:
        summary = summarize(notification, tz=self.tz)
        body = render_text(summary)
        use_color = (
            self._color if self._color is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        )
        rule = "═" * RULE_WIDTH
        if use_color:
            color = _COLORS.get("resolved" if summary.resolved else summary.severity, "")
            rule = f"{color}{rule}{_RESET}"
            first, _, rest = body.partition("\n")
            body = f"{color}{first}{_RESET}\n{rest}"
        return f"{rule}\n{body}{rule}\n"

    async def send(self, notification: Notification) -> None:
        try:
            self.stream.write(self.format(notification))
            self.stream.flush()
        except (OSError, ValueError) as exc:  # closed or broken stream
            raise DeliveryFailed(
                f"console channel {self.name!r}: {type(exc).__name__}: {exc}", retryable=False
            ) from None

    async def aclose(self) -> None:
        return None
