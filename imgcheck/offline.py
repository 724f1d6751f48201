"""The offline switches of every library imgcheck loads, set before any of them is imported.

imgcheck promises that no packet leaves the machine. Python-level guards cannot see native code, so
each library that could call home is told not to, through the switch it reads itself:

- **onnxruntime** (1.32 on Linux): its native library starts a OneCollector (1DS) telemetry client
  when it is imported and resolves ``mobile.events.data.microsoft.com`` about 9 s after the first
  session, then at 14, 23, 44 and 87 s. ``onnxruntime.disable_telemetry_events()`` does not stop the
  lookups. ``ORT_DISABLE_TELEMETRY=1`` (read by the native library when it is loaded, so it must be set
  before ``import onnxruntime``; "1" and "true" work, "0" and "" do not) stops them: 0 lookups in 100 s
  under strace. Measured and tested: ``tests/test_no_packets.py``, ``docs/hardening.md``.
- **Gradio**: ``GRADIO_ANALYTICS_ENABLED=False`` (analytics and the version check).
- **huggingface_hub** (imported by Gradio): ``HF_HUB_OFFLINE=1``, ``HF_HUB_DISABLE_TELEMETRY=1``.
- **Ray**: ``RAY_USAGE_STATS_ENABLED=0``.
- ``DO_NOT_TRACK=1`` for any other library that honours the convention.

``apply()`` runs when ``imgcheck`` is imported; the values are forced (not defaults), since a caller's
``ORT_DISABLE_TELEMETRY=0`` would break the promise. If onnxruntime was imported before imgcheck
without the switch, ``late_onnxruntime()`` says so (the CLI and the server import imgcheck first).
"""

from __future__ import annotations

import os
import sys

SWITCHES: dict[str, str] = {
    "ORT_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "DO_NOT_TRACK": "1",
}

_ORT_WAS_LOADED = False


def apply() -> None:
    """Set every switch in this process's environment (inherited by worker processes)."""
    global _ORT_WAS_LOADED
    if "onnxruntime" in sys.modules and os.environ.get("ORT_DISABLE_TELEMETRY") not in ("1", "true"):
        _ORT_WAS_LOADED = True
    os.environ.update(SWITCHES)


def late_onnxruntime() -> bool:
    """True when onnxruntime was loaded before imgcheck could switch its telemetry off."""
    return _ORT_WAS_LOADED
