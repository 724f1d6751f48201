"""Caps and sampling parameters of video checks (no decoder imported here: Settings holds these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoLimits:
    """Caps applied to a clip: from its headers before any frame is decoded, and again while decoding
    (headers can lie), so a hostile file costs at most ``max_decode_seconds`` and a bounded memory."""

    max_bytes: int = 256 * 1024 * 1024
    #: longest clip checked (seconds, from the headers and from the frames' own timestamps)
    max_seconds: float = 600.0
    max_side: int = 4096
    max_pixels: int = 4096 * 2304
    #: frames decoded at most (a 10-minute clip at 60 fps); a file declaring more is refused
    max_frames: int = 36_000
    #: wall-clock budget of decoding (demuxing, decoding, scaling), checked between packets and after
    #: every frame: ``max_decode_seconds``, or for long clips ``decode_seconds_per_second`` per second
    #: of the declared duration (per 1080p-worth of pixels), never more than ``max_decode_ceiling``
    max_decode_seconds: float = 120.0
    decode_seconds_per_second: float = 1.0
    max_decode_ceiling: float = 900.0
    #: animated GIF/WebP read as video: frames and canvas caps (Pillow composites every frame)
    max_animation_frames: int = 3_000
    max_animation_pixels: int = 2048 * 2048


@dataclass(frozen=True)
class Sampling:
    """Which frames the checks see: every scene change plus a uniform floor, within a cap.

    Frames are looked at ``scan_fps`` times a second (a 64x36 thumbnail each, for the scene-change
    measure); a frame is sampled when a new shot starts there or when ``1 / floor_fps`` seconds have
    passed since the last sample; samples are never closer than ``60 / max_per_minute`` seconds.
    Short clips get at least ``min_samples`` (up to every scanned frame).
    """

    scan_fps: float = 4.0
    floor_fps: float = 1.0
    max_per_minute: int = 120
    min_samples: int = 16
    #: histogram distance (0..1, half the L1 distance of 3x16-bin colour histograms) of a cut
    cut_distance: float = 0.35
    #: ... or at least ``cut_soft`` of that while the grey layout changes by ``cut_layout`` (mean
    #: absolute difference of the thumbnails' grey levels, 0..1)
    cut_soft: float = 0.5
    cut_layout: float = 0.12
    #: longest side of a sampled frame as the checks see it (faces are detected on this copy)
    work_side: int = 960
    #: key frames (known_image, frame-level AI checks): the first sample of each shot and one every
    #: ``key_every_s`` seconds, at most ``max_key_frames`` spread over the clip
    key_every_s: float = 10.0
    max_key_frames: int = 8
    #: face crops per face track given to the pixel detector, and best frames per track given to known_face
    crops_per_track: int = 2
    best_frames_per_track: int = 3
    #: face crops go to the pixel detector only for the ``crop_tracks`` longest tracks, and only when the
    #: face is at least ``min_crop_face`` pixels wide in the working copy: the detector was calibrated on
    #: whole photos, and on small faces cut from a group photo it gave 0.7-0.95 (measured: docs/video.md)
    crop_tracks: int = 4
    min_crop_face: int = 128
    #: width of the timeline thumbnails (pixels)
    thumb_width: int = 160
