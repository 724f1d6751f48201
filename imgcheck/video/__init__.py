"""Video clips: safe loading (``decode``), frame sampling (``sample``), face tracks (``track``) and the
image checks run over time (``check``). ``Engine.check`` sends a clip here by its first bytes."""

from __future__ import annotations

from imgcheck.video.limits import Sampling, VideoLimits

__all__ = ["Sampling", "VideoLimits", "looks_like_video"]


def looks_like_video(head: bytes) -> bool:
    """Whether the first bytes of a file name a video container (animated GIF/WebP excluded: those
    are images unless the caller asks for a clip)."""
    from imgcheck.video.decode import sniff_video

    return sniff_video(head) is not None
