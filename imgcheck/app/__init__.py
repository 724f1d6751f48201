"""The imgcheck web app (Gradio). ``build_app(engine)`` returns the Blocks; ``imgcheck serve`` launches it."""

from __future__ import annotations


def build_app(engine, **kwargs):
    """Import Gradio only when the app is built (the CLI and library never pay for it otherwise)."""
    from imgcheck.app.ui import build_app as _build

    return _build(engine, **kwargs)


__all__ = ["build_app"]
