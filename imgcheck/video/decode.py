"""Safe video loading: sniff the container, check its headers against caps, decode within a budget.

Decoder: PyAV (``av``, FFmpeg's libraries in the wheel; installs with pip alone, reads from memory,
decodes H.264, HEVC, VP8/VP9, AV1, MPEG-4 Part 2 and MJPEG). Why not OpenCV's FFmpeg backend, which
the project already has: it reads only from a path (an upload would be written to disk first), hides
the headers (codec, declared frame count) and every error behind ``read() -> False``, and its
writer has no H.264 encoder for making test clips. Measured speed: docs/video.md.

Safety: the container is named from its first bytes and the demuxer is chosen by us (FFmpeg never
probes: a text file named .mp4 cannot reach its playlist or concat demuxers, which open other files);
only listed video codecs are decoded; declared size, duration and frame count are checked before
decoding, and again on every frame (headers can lie); packets, frames and wall-clock time are
budgeted, checked between packets, so a hostile file stops with an ``InputError`` instead of hanging.
Animated GIF and WebP are read with Pillow under their own frame and canvas caps.
"""

from __future__ import annotations

import hashlib
import io
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from imgcheck.errors import InputError
from imgcheck.load import gif_frame_count, sniff_format
from imgcheck.video.limits import VideoLimits

#: our container name -> FFmpeg demuxer
DEMUXERS = {"MP4": "mov", "MOV": "mov", "WEBM": "matroska", "MKV": "matroska", "AVI": "avi"}
#: containers Pillow reads as animations
ANIMATIONS = frozenset({"GIF", "WEBP"})
#: FFmpeg decoders we run on untrusted data (the common camera, phone, browser and editor codecs)
CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "libdav1d", "mpeg4", "msmpeg4v3", "mjpeg",
                    "mpeg1video", "mpeg2video", "h263", "prores", "theora"})
_MP4_BRANDS = (b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
               b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"mmp4", b"3gp4", b"3gp5", b"3gp6",
               b"3g2a", b"3g2b", b"dash", b"f4v ", b"MSNV", b"XAVC", b"NDAS", b"nvr1", b"av01")
_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2", b"miaf",
                 b"heif", b"avif", b"avis", b"avio")
#: extra packets allowed beyond the frame budget (headers, parameter sets, dropped frames)
_PACKET_SLACK = 2_000

SUPPORTED = "MP4, MOV, WebM, MKV, AVI (H.264, HEVC, VP8/VP9, AV1, MPEG-4, MJPEG) and animated GIF/WebP"


def sniff_video(head: bytes) -> str | None:
    """Name the video container from its first bytes (at least 16), or None when it is not one."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return None
        return "MOV" if brand == b"qt  " else "MP4" if brand in _MP4_BRANDS else "MP4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot") and len(head) >= 8:
        return "MOV"  # QuickTime files from before the ftyp box
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "WEBM" if b"webm" in head[:64] else "MKV"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    return None


def is_animation(data: bytes) -> bool:
    """Whether ``data`` is an animated GIF or WebP (more than one frame), from its structure only."""
    fmt = sniff_format(data[:32])
    if fmt == "GIF":
        return gif_frame_count(data, 2) > 1
    if fmt == "WEBP":
        return b"ANIM" in data[12:64] and b"ANMF" in data[:4096]
    return False


@dataclass(frozen=True)
class VideoInfo:
    """What the headers of a clip say (checked against the caps); ``frames`` 0 when not declared."""

    format: str
    codec: str
    width: int
    height: int
    duration_s: float
    fps: float
    frames: int
    rotation: int = 0
    #: sample (pixel) aspect ratio: stored pixels are this many times wider when shown (anamorphic clips)
    sar: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration_s"] = round(self.duration_s, 3)
        d["fps"] = round(self.fps, 3)
        return d


class ScanFrame:
    """One decoded frame, converted only to the sizes asked for (thumbnail, working copy)."""

    def __init__(self, index: int, time_s: float, frame: Any, rotation: int, sar: float = 1.0) -> None:
        self.index = index
        self.time_s = time_s
        self._frame = frame
        self._rotation = rotation
        self._sar = sar

    def rgb(self, max_side: int | None = None) -> np.ndarray:
        """RGB uint8 with its longer side at most ``max_side`` (display rotation applied)."""
        f = self._frame
        if isinstance(f, np.ndarray):
            return _rotate(_fit(f, max_side), self._rotation)
        w, h = f.width, f.height
        if abs(self._sar - 1.0) > 0.01:  # anamorphic: show the pixels at their displayed width
            w = max(2, round(w * self._sar))
        if max_side is not None and max(w, h) > max_side:
            s = max_side / max(w, h)
            w, h = max(2, round(w * s)), max(2, round(h * s))
        arr = f.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")
        return _rotate(np.ascontiguousarray(arr), self._rotation)

    def thumb(self, width: int = 64) -> np.ndarray:
        """A tiny RGB copy for the scene-change measure."""
        f = self._frame
        if isinstance(f, np.ndarray):
            h, w = f.shape[:2]
            return cv2.resize(f, (width, max(2, round(h * width / w))), interpolation=cv2.INTER_AREA)
        h = max(2, round(f.height * width / max(f.width, 1)))
        return f.to_ndarray(format="rgb24", width=width, height=h, interpolation="AREA")


def _fit(arr: np.ndarray, max_side: int | None) -> np.ndarray:
    h, w = arr.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return arr
    s = max_side / max(h, w)
    return cv2.resize(arr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _rotate(arr: np.ndarray, rotation: int) -> np.ndarray:
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(arr, k)) if k else arr


class VideoSource:
    """A clip whose headers passed the caps. ``frames()`` decodes it once, under the budgets."""

    def __init__(self, data: bytes, name: str, info: VideoInfo, limits: VideoLimits) -> None:
        self.data = data
        self.source = name
        self.info = info
        self.limits = limits
        self.sha256 = hashlib.sha256(data).hexdigest()

    @property
    def format(self) -> str:
        return self.info.format

    def frames(self, threads: int = 0) -> Iterator[ScanFrame]:
        """Every frame in display order (non-reference H.264/HEVC frames skipped: nothing depends on
        them and the sampler never needs two frames 1/30 s apart). Raises InputError on damage or
        when a budget runs out."""
        if self.info.format in ANIMATIONS:
            yield from _animation_frames(self)
        else:
            yield from _av_frames(self, threads)


def read_video_bytes(source: str | Path | bytes, limits: VideoLimits) -> tuple[bytes, str]:
    """Bytes of a clip (path or bytes), at most ``limits.max_bytes``."""
    from imgcheck.load import Limits, read_source

    return read_source(source, Limits(max_bytes=limits.max_bytes))


def open_video(source: str | Path | bytes, *, name: str | None = None,
               limits: VideoLimits | None = None) -> VideoSource:
    """Validate a clip's container and headers; InputError with a clear reason otherwise."""
    limits = limits or VideoLimits()
    data, default = read_video_bytes(source, limits)
    name = name or default
    if not data:
        raise InputError(f"{name}: the file is empty")
    fmt = sniff_video(data[:64])
    if fmt is None:
        if is_animation(data):
            return VideoSource(data, name, _animation_info(data, name, limits), limits)
        raise InputError(f"{name}: not a video in a supported format; imgcheck reads {SUPPORTED}")
    return VideoSource(data, name, _probe(data, fmt, name, limits), limits)


def _av():
    import av
    import av.logging

    av.logging.set_level(None)  # FFmpeg's complaints about a hostile file are not for the user's terminal
    return av


def _open_container(data: bytes, fmt: str, name: str):
    av = _av()
    try:
        return av.open(io.BytesIO(data), mode="r", format=DEMUXERS[fmt],
                       options={"probesize": "10000000", "analyzeduration": "10000000"})
    except av.FFmpegError as exc:
        raise InputError(f"{name}: the {fmt} data is damaged, truncated or not a video "
                         f"({_short(exc)})") from exc


def _short(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).split(":")[0].strip()[:120]


def _probe(data: bytes, fmt: str, name: str, limits: VideoLimits) -> VideoInfo:
    with _open_container(data, fmt, name) as container:
        streams = container.streams.video
        if not streams:
            raise InputError(f"{name}: the {fmt} file has no video track")
        s = streams[0]
        cc = s.codec_context
        codec = (cc.name if cc is not None else "") or ""
        if codec not in CODECS:
            raise InputError(f"{name}: the video codec {codec or 'unknown'!r} is not supported "
                             f"(imgcheck reads {SUPPORTED})")
        w, h = int(cc.width or 0), int(cc.height or 0)
        _check_size(w, h, name, limits, declared=True)
        duration = 0.0
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        if duration <= 0 and container.duration:
            duration = container.duration / 1_000_000
        rate = s.average_rate or s.guessed_rate or s.base_rate
        fps = float(rate) if rate else 0.0
        frames = int(s.frames or 0)
        if not (0 <= duration < 1e7) or not (0 <= fps < 1e4):
            raise InputError(f"{name}: the headers declare an impossible duration or frame rate (a crafted file)")
        if duration > limits.max_seconds:
            raise InputError(f"{name}: the clip is {duration:.0f} s long, longer than the "
                             f"{limits.max_seconds:.0f} s limit")
        if frames > limits.max_frames:
            raise InputError(f"{name}: the clip declares {frames} frames, more than the limit of "
                             f"{limits.max_frames}")
        sar = float(s.sample_aspect_ratio) if s.sample_aspect_ratio else 1.0
        sar = sar if 0.25 <= sar <= 4 else 1.0
        if abs(sar - 1.0) > 0.01:
            w = max(1, round(w * sar))
        rotation = _first_rotation(container, s)
        if rotation % 180:
            w, h = h, w  # the clip is shown turned: report the size as displayed (phone portrait clips)
        return VideoInfo(fmt, codec, w, h, duration, fps, frames, rotation, round(sar, 4))


def _first_rotation(container, stream, max_packets: int = 300) -> int:
    """Display rotation (degrees, counter-clockwise, multiple of 90) of the first frame, 0 if none.
    Phones store portrait clips as landscape frames with a display matrix; FFmpeg gives it per frame."""
    try:
        for i, packet in enumerate(container.demux(stream)):
            for frame in packet.decode():
                return int(round(float(getattr(frame, "rotation", 0) or 0) / 90.0)) * 90 % 360
            if i >= max_packets:
                break
    except Exception:  # noqa: BLE001 - damage is reported by the decoding pass itself
        return 0
    return 0


def _check_size(w: int, h: int, name: str, limits: VideoLimits, declared: bool) -> None:
    if declared and w == 0 and h == 0:
        return  # some containers leave the size to the first frame; checked there
    if w <= 0 or h <= 0:
        raise InputError(f"{name}: the video has no pixels ({w}x{h})")
    if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise InputError(f"{name}: the video is {w}x{h} pixels, more than the limit of "
                         f"{limits.max_side}px per side / {limits.max_pixels / 1e6:.1f} megapixels")


def decode_budget(info: VideoInfo, limits: VideoLimits) -> float:
    """Seconds of decoding allowed for a clip (see ``VideoLimits``)."""
    pixels = max(1.0, info.width * info.height / (1920 * 1080))
    scaled = info.duration_s * limits.decode_seconds_per_second * pixels
    return min(max(limits.max_decode_seconds, scaled), max(limits.max_decode_ceiling, limits.max_decode_seconds))


def _av_frames(src: VideoSource, threads: int) -> Iterator[ScanFrame]:
    av = _av()
    limits, name, info = src.limits, src.source, src.info
    budget = decode_budget(info, limits)
    deadline = time.monotonic() + budget
    max_packets = limits.max_frames + _PACKET_SLACK
    with _open_container(src.data, info.format, name) as container:
        stream = container.streams.video[0]
        cc = stream.codec_context
        cc.thread_type = "AUTO"
        cc.thread_count = max(0, int(threads))
        if info.codec in ("h264", "hevc"):
            cc.skip_frame = "NONREF"
        tb = float(stream.time_base) if stream.time_base else 0.0
        start = None
        last_t = 0.0
        n_frames = n_packets = 0
        fps = info.fps or 25.0
        try:
            for packet in container.demux(stream):
                n_packets += 1
                if n_packets > max_packets:
                    raise InputError(f"{name}: the clip holds more than {max_packets} packets (a crafted file)")
                if time.monotonic() > deadline:
                    raise InputError(f"{name}: decoding took longer than {budget:.0f} s; "
                                     "the clip is too long or crafted to be slow")
                for frame in packet.decode():
                    n_frames += 1
                    if n_frames > limits.max_frames:
                        raise InputError(f"{name}: the clip has more than {limits.max_frames} frames")
                    _check_size(frame.width, frame.height, name, limits, declared=False)
                    t = frame.time if frame.pts is not None and tb else None
                    if t is None:
                        t = (n_frames - 1) / fps
                    if start is None:
                        start = t
                    t -= start
                    last_t = max(last_t, float(t))
                    if t > limits.max_seconds:
                        raise InputError(f"{name}: the clip runs past the {limits.max_seconds:.0f} s limit")
                    rotation = int(round(float(getattr(frame, "rotation", 0) or 0) / 90.0)) * 90 % 360
                    yield ScanFrame(n_frames - 1, max(0.0, float(t)), frame, rotation, info.sar)
                    if time.monotonic() > deadline:
                        raise InputError(f"{name}: decoding took longer than {budget:.0f} s; "
                                         "the clip is too long or crafted to be slow")
        except av.FFmpegError as exc:
            raise InputError(f"{name}: the {info.format} data is damaged or truncated after "
                             f"{n_frames} frame(s) ({_short(exc)})") from exc
        if n_frames == 0:
            raise InputError(f"{name}: the {info.format} file holds no decodable video frame")
        last = last_t + (1.0 / info.fps if info.fps > 0 else 0.0)
        if info.duration_s > 0 and last < info.duration_s - max(1.0, 0.1 * info.duration_s):
            # the demuxer stopped early without an error (a cut-off AVI, damaged MP4 sample tables):
            # a report on the first seconds must not read as a report on the clip
            raise InputError(f"{name}: the {info.format} data is damaged or truncated: frames stop at "
                             f"{last:.1f} s of the {info.duration_s:.1f} s the headers declare")


def _animation_info(data: bytes, name: str, limits: VideoLimits) -> VideoInfo:
    fmt = sniff_format(data[:32]) or "GIF"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w <= 0 or h <= 0 or w * h > limits.max_animation_pixels:
                raise InputError(f"{name}: the animation is {w}x{h} pixels, more than the limit of "
                                 f"{limits.max_animation_pixels / 1e6:.1f} megapixels")
            n = gif_frame_count(data, limits.max_animation_frames + 1) if fmt == "GIF" else int(im.n_frames)
            if n > limits.max_animation_frames:
                raise InputError(f"{name}: the animation has more than {limits.max_animation_frames} frames")
            step = float(im.info.get("duration") or 100) / 1000.0
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile headers can raise anything inside a plugin
        raise InputError(f"{name}: the {fmt} animation is damaged ({type(exc).__name__})") from exc
    step = step if step > 0 else 0.1
    return VideoInfo(fmt, fmt.lower(), w, h, n * step, 1.0 / step, n, 0)


def _animation_frames(src: VideoSource) -> Iterator[ScanFrame]:
    limits, name = src.limits, src.source
    deadline = time.monotonic() + limits.max_decode_seconds
    t = 0.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(src.data))
            for i in range(min(src.info.frames, limits.max_animation_frames)):
                im.seek(i)
                rgb = np.asarray(im.convert("RGB"))
                yield ScanFrame(i, t, rgb, 0)
                step = float(im.info.get("duration") or 100) / 1000.0
                t += step if step > 0 else 0.1
                if t > limits.max_seconds or time.monotonic() > deadline:
                    raise InputError(f"{name}: the animation is longer than the limits "
                                     f"({limits.max_seconds:.0f} s, {limits.max_decode_seconds:.0f} s to decode)")
    except InputError:
        raise
    except EOFError:
        return
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{name}: the animation is damaged or truncated ({type(exc).__name__})") from exc
