"""Model registry: ``models/manifest.json`` is the only place a model is named.

Loading verifies the file's full sha256 and raises ``ModelError`` naming the file and the
``tools/`` command that rebuilds it. Sessions are created lazily and cached by the registry,
which the Engine owns (no module-level caches).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgcheck.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    id: str
    file: str
    sha256: str
    source: str = ""
    licence: str = ""
    task: str = ""
    rebuild: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ModelRegistry:
    def __init__(self, models_dir: str | Path, intra_op_threads: int = 0) -> None:
        self.models_dir = Path(models_dir)
        self.intra_op_threads = intra_op_threads
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._specs: dict[str, ModelSpec] | None = None
        self._warned_late = False

    def specs(self) -> dict[str, ModelSpec]:
        if self._specs is None:
            path = self.models_dir / "manifest.json"
            if not path.is_file():
                self._specs = {}
                return self._specs
            try:
                raw = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ModelError(f"{path} cannot be read: {exc}") from exc
            known = {"file", "sha256", "source", "licence", "task", "rebuild"}
            self._specs = {
                mid: ModelSpec(id=mid, **{k: v for k, v in item.items() if k in known},
                               extra={k: v for k, v in item.items() if k not in known})
                for mid, item in raw.get("models", {}).items()
            }
        return self._specs

    def spec(self, model_id: str) -> ModelSpec:
        try:
            return self.specs()[model_id]
        except KeyError:
            raise ModelError(f"model {model_id!r} is not in {self.models_dir / 'manifest.json'}") from None

    def has(self, model_id: str) -> bool:
        spec = self.specs().get(model_id)
        return spec is not None and (self.models_dir / spec.file).is_file()

    def path(self, model_id: str) -> Path:
        """The verified path of a model file."""
        spec = self.spec(model_id)
        path = self.models_dir / spec.file
        hint = f" Rebuild it with: {spec.rebuild}" if spec.rebuild else ""
        if not path.is_file():
            raise ModelError(f"model file {path} is missing.{hint}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != spec.sha256:
            raise ModelError(f"model file {path} does not match its sha256 in manifest.json "
                             f"(got {digest[:12]}..., want {spec.sha256[:12]}...).{hint}")
        return path

    def session(self, model_id: str):
        """A cached onnxruntime InferenceSession for an ONNX model of the manifest."""
        with self._lock:
            sess = self._sessions.get(model_id)
            if sess is None:
                import onnxruntime as ort

                from imgcheck import offline

                if offline.late_onnxruntime() and not self._warned_late:
                    self._warned_late = True
                    log.warning("onnxruntime was imported before imgcheck: its telemetry may resolve "
                                "a Microsoft host; import imgcheck first or set ORT_DISABLE_TELEMETRY=1")

                path = self.path(model_id)
                opts = ort.SessionOptions()
                if self.intra_op_threads:
                    opts.intra_op_num_threads = self.intra_op_threads
                opts.inter_op_num_threads = 1
                # no busy-waiting between ops: checks, app requests and batch workers share few cores
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                try:
                    sess = ort.InferenceSession(str(path), sess_options=opts,
                                                providers=["CPUExecutionProvider"])
                except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
                    raise ModelError(f"model {path} cannot be loaded by onnxruntime: {exc}") from exc
                self._sessions[model_id] = sess
            return sess
