"""A fake fine-tuning provider on 127.0.0.1 for the training tests: the real `openai` and
`together` SDKs talk to it (only the endpoints they use) and the tests read what it received.

`serve()` starts it and stops it; `environment(port)` is the environment that points the SDKs
at it. Knobs: `Provider.job_id_format` (the job ids the API hands out); the OpenAI model
names `no-such-model` (HTTP 400) and `echo-the-key` (HTTP 401 quoting the Authorization
header). OpenAI jobs move on at each retrieval (`validating_files`, `running`, then
`succeeded` with a result file holding `Provider.result_csv`, served base64-encoded as
OpenAI serves result files); a job on the model
`fails-in-training` ends `failed` instead. `silent()` is a server that accepts connections and
never answers.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "train"
CLEAN = DATA / "clean.jsonl"
VAL = DATA / "val.jsonl"
DIRTY = DATA / "dirty.jsonl"  # row 6 has no assistant message: format/missing-assistant-message
DIRTY_RULE = "format/missing-assistant-message"
API_KEY = "sk-test-not-a-real-key"


class Provider:
    """What the fake provider received, and the state it answers from."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.port = 0
        self.lock = threading.Lock()
        self.job_id_format = "ftjob-{number}"
        self.result_csv = b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"

    def paths(self, method: str | None = None) -> list[str]:
        return [r["path"] for r in self.requests if method is None or r["method"] == method]

    def bodies(self, path: str) -> list[Any]:
        return [r["json"] for r in self.requests if r["path"] == path and r["method"] == "POST"]


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_filename(), part.get_payload(decode=True))
    return parts


def _record(method: str, target: str, headers: Any, body: bytes) -> dict[str, Any]:
    url = urlsplit(target)
    content_type = headers.get("Content-Type", "")
    return {
        "method": method,
        "path": url.path,
        "query": parse_qs(url.query),
        "headers": {key.lower(): value for key, value in headers.items()},
        "body": body,
        "json": json.loads(body) if content_type.startswith("application/json") and body else None,
        "form": (
            _multipart(content_type, body)
            if content_type.startswith("multipart/form-data")
            else None
        ),
    }


def _handler(state: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, payload: Any = None, headers: dict | None = None) -> None:
            raw = isinstance(payload, bytes)
            data = payload if raw else b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/csv" if raw else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            record = _record(method, self.path, self.headers, self._body())
            with state.lock:
                state.requests.append(record)
                status, payload, headers = route(state, record)
            self._send(status, payload, headers)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

    return Handler


def route(state: Provider, request: dict[str, Any]) -> tuple[int, Any, dict | None]:
    method, path = request["method"], request["path"]
    now = int(time.time())
    # OpenAI
    if (method, path) == ("POST", "/v1/files") and "file" in (request["form"] or {}):
        filename, data = request["form"]["file"]
        file_id = f"file-{len(state.files) + 1}"
        state.files[file_id] = {"filename": filename, "data": data}
        return (
            200,
            {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": now,
                "filename": filename,
                "purpose": request["form"]["purpose"][1].decode(),
                "status": "processed",
            },
            None,
        )
    if (method, path) == ("POST", "/v1/fine_tuning/jobs"):
        body = request["json"]
        if body["model"] == "no-such-model":
            error = {"message": "The model `no-such-model` does not exist", "type": "invalid"}
            return 400, {"error": error}, None
        if body["model"] == "echo-the-key":  # a provider whose error quotes the credential
            key = request["headers"].get("authorization", "")
            error = {"message": f"Incorrect API key provided: {key}", "type": "invalid"}
            return 401, {"error": error}, None
        job_id = state.job_id_format.format(number=len(state.jobs) + 1)
        state.jobs[job_id] = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": now,
            "model": body["model"],
            "status": "validating_files",
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "hyperparameters": body["method"]["supervised"]["hyperparameters"],
            "method": body["method"],
            "metadata": body.get("metadata"),
            "fine_tuned_model": None,
            "organization_id": "org-test",
            "result_files": [],
            "seed": 42,
            "trained_tokens": None,
            "error": None,
            "finished_at": None,
        }
        return 200, state.jobs[job_id], None
    found = _openai_get(state, path, now) if method == "GET" else None
    if found is not None:
        return found
    # Together
    if (method, path) == ("POST", "/v1/files"):
        form = {key: value[1].decode() for key, value in (request["form"] or {}).items()}
        file_id = f"file-{len(state.files) + 1}"
        state.files[file_id] = {"form": form, "data": None}
        location = f"http://127.0.0.1:{state.port}/upload/{file_id}"
        return 302, None, {"Location": location, "X-Together-File-Id": file_id}
    if method == "PUT" and path.startswith("/upload/"):
        state.files[path.rsplit("/", 1)[1]]["data"] = request["body"]
        return 200, None, None
    if method == "POST" and path.startswith("/v1/files/") and path.endswith("/preprocess"):
        file_id = path.split("/")[3]
        entry = state.files[file_id]
        return (
            200,
            {
                "id": file_id,
                "bytes": len(entry["data"]),
                "created_at": now,
                "filename": entry["form"]["file_name"],
                "FileType": "jsonl",
                "object": "file",
                "purpose": "fine-tune",
                "processing_status": "COMPLETED",
            },
            None,
        )
    if (method, path) == ("GET", "/v1/fine-tunes/models/limits"):
        return 200, _together_limits(request["query"]["model_name"][0]), None
    if (method, path) == ("POST", "/v1/fine-tunes/estimate-price"):
        return (
            200,
            {
                "estimation_available": True,
                "allowed_to_proceed": True,
                "estimated_total_price": 0.5,
                "estimated_train_token_count": 1000,
                "estimated_eval_token_count": 0,
                "user_limit": 100.0,
            },
            None,
        )
    if (method, path) == ("POST", "/v1/fine-tunes"):
        body = request["json"]
        job_id = f"ft-{len(state.jobs) + 1}"
        state.jobs[job_id] = {
            **body,
            "id": job_id,
            "status": "pending",
            "created_at": "2025-01-01T00:00:00Z",
            "output_name": f"test/{body['model']}-{body.get('suffix')}",
        }
        return 200, state.jobs[job_id], None
    return 404, {"error": {"message": f"not implemented: {method} {path}"}}, None


def _openai_get(state: Provider, path: str, now: int) -> tuple[int, Any, dict | None] | None:
    """A job retrieval (which moves the job on) or a file's content."""
    if path.startswith("/v1/fine_tuning/jobs/"):
        job = state.jobs.get(path.rsplit("/", 1)[1])
        if job is None:
            return 404, {"error": {"message": "no such job"}}, None
        _advance(state, job, now)
        return 200, job, None
    if path.startswith("/v1/files/") and path.endswith("/content"):
        entry = state.files.get(path.split("/")[3])
        return (200, entry["data"], None) if entry else (404, {"error": {"message": "no"}}, None)
    return None


def _advance(state: Provider, job: dict[str, Any], now: int) -> None:
    """One step of an OpenAI job's life per retrieval."""
    if job["status"] == "validating_files":
        job["status"] = "running"
    elif job["status"] == "running" and job["model"] == "fails-in-training":
        job["status"] = "failed"
        job["error"] = {"code": "invalid_training_file", "message": "Training failed: bad row"}
        job["finished_at"] = now
    elif job["status"] == "running":
        file_id = f"file-{len(state.files) + 1}"
        data = base64.b64encode(state.result_csv)
        state.files[file_id] = {"filename": "step_metrics.csv", "data": data}
        job.update(status="succeeded", result_files=[file_id], finished_at=now)
        job["fine_tuned_model"] = f"ft:{job['model']}:ftqa"


def _together_limits(model: str) -> dict[str, Any]:
    return {
        "model_name": model,
        "default_gradient_accumulation_steps": 1,
        "lora_training": {
            "default_rank": 8,
            "max_batch_size": 32,
            "max_batch_size_dpo": 16,
            "max_rank": 64,
            "min_batch_size": 1,
            "target_modules": ["q_proj", "v_proj"],
        },
        "full_training": {"max_batch_size": 32, "max_batch_size_dpo": 16, "min_batch_size": 1},
        "max_learning_rate": 1.0,
        "min_learning_rate": 1e-8,
        "max_num_checkpoints": 10,
        "max_num_epochs": 20,
        "max_num_evals": 10,
        "max_seq_length_dpo": 4096,
        "max_seq_length_sft": 8192,
        "min_max_seq_length": 512,
        "merge_output_lora": False,
        "supports_full_training": True,
        "supports_reasoning": False,
        "supports_tools": False,
        "supports_vision": False,
    }


@contextmanager
def serve() -> Iterator[Provider]:
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class Silent:
    """A port on 127.0.0.1 that accepts connections and never answers (nor reads)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.done = threading.Event()

    @property
    def connections(self) -> int:
        return len(self.accepted)

    def accept(self) -> None:
        while not self.done.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)


@contextmanager
def silent() -> Iterator[Silent]:
    """A `Silent` server for the block; every connection is closed when it ends."""
    server = Silent()
    thread = threading.Thread(target=server.accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.done.set()
        thread.join()
        for connection in server.accepted:
            connection.close()
        server.listener.close()


def environment(port: int) -> dict[str, str]:
    """This environment with the SDKs pointed at 127.0.0.1:`port` and a test API key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith(("OPENAI_", "TOGETHER_"))
    }
    env.update(
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
        TOGETHER_API_KEY=API_KEY,
        TOGETHER_BASE_URL=f"http://127.0.0.1:{port}",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONIOENCODING="utf-8",
    )
    return env


COMMAND = [sys.executable, "-m", "ftqa", "train"]


def ftqa_train(provider: Provider, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(provider.port),
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def train_cli(argv: list[str]) -> int:
    """The same command in this process (fast), for paths that stop before any launch."""
    from ftqa.train.cli import main

    return main(argv)
