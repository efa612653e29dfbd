"""ONNX Runtime for the reader's forward pass: the same logits, about twice as fast on CPU.

The reader is exported once per set of weights (a hash of the tensors names the file), cached
under ``$QA_CACHE`` (default ``~/.cache/qa``) with the file's sha256 beside it, and run by an
``onnxruntime.InferenceSession``.  A cached file that is missing, truncated or edited is exported
again.  Exporting needs the ``onnx`` package; running needs only ``onnxruntime``.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

OUTPUTS = ("start_logits", "end_logits")
OPSET = 17


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime cannot run this reader here (package missing, export failed)."""


def cache_dir() -> Path:
    return Path(os.environ.get("QA_CACHE") or Path.home() / ".cache" / "qa")


def weights_key(model: torch.nn.Module) -> str:
    """A hash of every tensor: the cached export is only reused for exactly these weights."""
    digest = hashlib.sha256(f"{torch.__version__}|opset{OPSET}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:24]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export(model: torch.nn.Module, names: Sequence[str], path: Path) -> None:
    """Write ``model`` as ONNX (dynamic batch and length) atomically, with its sha256 beside it."""
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
    except ImportError as exc:
        raise OnnxUnavailable("exporting the reader needs the `onnx` package") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two rows, one padded: an all-ones mask could let the trace drop masking altogether.
    dummy = {n: torch.ones((2, 8), dtype=torch.long) for n in names}
    if "attention_mask" in dummy:
        dummy["attention_mask"][1, 5:] = 0
    if "token_type_ids" in dummy:
        dummy["token_type_ids"][:, :4] = 0
    axes = {n: {0: "batch", 1: "length"} for n in (*names, *OUTPUTS)}
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (dummy,), tmp, input_names=list(names),
                              output_names=list(OUTPUTS), dynamic_axes=axes,
                              opset_version=OPSET, dynamo=False)
        path.with_suffix(".sha256").write_text(_file_sha256(Path(tmp)) + "\n")
        os.replace(tmp, path)
    except OnnxUnavailable:
        raise
    except Exception as exc:  # the exporter raises many types; any of them means "use torch"
        raise OnnxUnavailable(f"could not export the reader to ONNX: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _intact(path: Path) -> bool:
    sidecar = path.with_suffix(".sha256")
    return (path.exists() and sidecar.exists()
            and sidecar.read_text().strip() == _file_sha256(path))


class OnnxRunner:
    """Runs the exported reader: ``runner(batch) -> (start_logits, end_logits)`` as tensors."""

    def __init__(self, path: Path, names: Sequence[str], threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = list(names)
        self.path = path

    def __call__(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feed = {n: batch[n].numpy().astype(np.int64, copy=False) for n in self.names}
        start, end = self.session.run(list(OUTPUTS), feed)
        return torch.from_numpy(start), torch.from_numpy(end)


def load(model: torch.nn.Module, names: Sequence[str]) -> OnnxRunner:
    """An ONNX Runtime session for ``model``, exported on first use and cached after."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise OnnxUnavailable("the `onnxruntime` package is not installed") from exc
    path = cache_dir() / f"reader-{weights_key(model)}-{'-'.join(names)}.onnx"
    if not _intact(path):
        try:
            export(model, names, path)
        except PermissionError as exc:
            raise OnnxUnavailable(f"cannot write the ONNX cache in {path.parent}: {exc}") from exc
    try:
        return OnnxRunner(path, names, torch.get_num_threads())
    except Exception as exc:  # a broken file: onnxruntime's own exception types
        path.unlink(missing_ok=True)
        raise OnnxUnavailable(f"ONNX Runtime could not load {path}: {exc}") from exc
