"""A stand-in for the Hugging Face Hub on 127.0.0.1, for the real huggingface_hub client.

It speaks the part of the Hub's HTTP API that creating a dataset repo and committing
files uses: repo creation, the file tree, README metadata validation, the preupload
check, the git-LFS batch API with single-PUT uploads, and the ndjson commit endpoint.
Files live in memory. Faults can be injected to test refusals and interrupted pushes.
Xet transfers are not spoken: tests set HF_HUB_DISABLE_XET so the client uses LFS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


@dataclass
class Repo:
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    lfs: dict[str, str] = field(default_factory=dict)  # path -> sha256 of LFS files
    commits: list[str] = field(default_factory=list)  # commit summaries, oldest first


@dataclass
class HubState:
    write_tokens: set[str]
    read_tokens: set[str] = field(default_factory=set)
    repos: dict[str, Repo] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)  # LFS store by sha256
    puts: list[str] = field(default_factory=list)  # sha256 of every accepted LFS PUT
    fail_puts: set[str] = field(default_factory=set)  # sha256s refused once with 400
    fail_commits: int = 0  # commits refused with 500 before one is accepted
    # after this many stored uploads, every later request waits until `release` is set: the
    # client is then stuck at a known point (for kill tests)
    hold_after_puts: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    # --- plumbing -------------------------------------------------------------
    def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None):
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def _may(self, write: bool) -> bool:
        state = self.server.state
        token = self._token()
        if token in state.write_tokens or (not write and token in state.read_tokens):
            return True
        if token is None or token not in state.read_tokens:
            self._send(401, {"error": "Invalid credentials in Authorization header"})
        else:
            self._send(403, {"error": "You don't have the rights to write to this repo"})
        return False

    def _repo(self, repo_id: str) -> Repo | None:
        repo = self.server.state.repos.get(repo_id)
        if repo is None:
            self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        return repo

    # --- routes ---------------------------------------------------------------
    def do_GET(self) -> None:
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        # /api/datasets/{ns}/{name}/tree/{rev}
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "tree":
            if not self._may(write=False):
                return
            repo = self._repo(f"{parts[2]}/{parts[3]}")
            if repo is None:
                return
            entries = []
            for path, data in sorted(repo.files.items()):
                entry = {"type": "file", "path": path, "size": len(data), "oid": _blob_sha1(data)}
                if path in repo.lfs:
                    entry["lfs"] = {"oid": repo.lfs[path], "size": len(data), "pointerSize": 130}
                entries.append(entry)
            self._send(200, entries)
            return
        # /api/datasets/{ns}/{name}[/revision/{rev}]
        if parts[:2] == ["api", "datasets"] and len(parts) in (4, 6):
            if not self._may(write=False):
                return
            repo = self._repo(f"{parts[2]}/{parts[3]}")
            if repo is None:
                return
            sha = hashlib.sha1(str(repo.commits).encode()).hexdigest()
            self._send(200, {"id": f"{parts[2]}/{parts[3]}", "sha": sha, "private": repo.private})
            return
        self._send(404, {"error": f"no route GET {url.path}"})

    def do_POST(self) -> None:
        self._hold()
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        body = self._body()
        state = self.server.state
        if parts == ["api", "repos", "create"]:
            if not self._may(write=True):
                return
            payload = json.loads(body)
            repo_id = f"{payload['organization'] or 'user'}/{payload['name']}"
            with state.lock:
                if repo_id in state.repos:
                    url = f"{self._base()}/datasets/{repo_id}"
                    self._send(409, {"error": "You already created this dataset repo", "url": url})
                    return
                private = payload.get("visibility") == "private" or bool(payload.get("private"))
                state.repos[repo_id] = Repo(
                    private=private, files={".gitattributes": b"*.parquet filter=lfs\n"}
                )
            self._send(200, {"url": f"{self._base()}/datasets/{repo_id}"})
            return
        if parts == ["api", "validate-yaml"]:
            self._send(200, {"errors": [], "warnings": []})
            return
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "preupload":
            if not self._may(write=True) or (repo := self._repo(f"{parts[2]}/{parts[3]}")) is None:
                return
            files = []
            for item in json.loads(body)["files"]:
                lfs = item["path"].endswith(".parquet")
                current = repo.files.get(item["path"])
                oid = None
                if current is not None:
                    oid = repo.lfs.get(item["path"]) if lfs else _blob_sha1(current)
                files.append(
                    {
                        "path": item["path"],
                        "uploadMode": "lfs" if lfs else "regular",
                        "shouldIgnore": False,
                        "oid": oid,
                    }
                )
            self._send(200, {"files": files})
            return
        if parts[0] == "datasets" and url.path.endswith(".git/info/lfs/objects/batch"):
            if not self._may(write=True):
                return
            objects = []
            for obj in json.loads(body)["objects"]:
                entry = {"oid": obj["oid"], "size": obj["size"]}
                if obj["oid"] not in state.objects:
                    entry["actions"] = {
                        "upload": {"href": f"{self._base()}/lfs-upload/{obj['oid']}"}
                    }
                objects.append(entry)
            self._send(200, {"transfer": "basic", "objects": objects})
            return
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "commit":
            if not self._may(write=True) or (repo := self._repo(f"{parts[2]}/{parts[3]}")) is None:
                return
            with state.lock:
                if state.fail_commits > 0:
                    state.fail_commits -= 1
                    self._send(500, {"error": "Internal Error - the commit was not created"})
                    return
            summary = ""
            staged = dict(repo.files)
            staged_lfs = dict(repo.lfs)
            for line in body.splitlines():
                item = json.loads(line)
                value = item["value"]
                if item["key"] == "header":
                    summary = value["summary"]
                elif item["key"] == "file":
                    staged[value["path"]] = base64.b64decode(value["content"])
                    staged_lfs.pop(value["path"], None)
                elif item["key"] == "lfsFile":
                    if value["oid"] not in state.objects:
                        self._send(400, {"error": f"LFS object {value['oid']} was never uploaded"})
                        return
                    staged[value["path"]] = state.objects[value["oid"]]
                    staged_lfs[value["path"]] = value["oid"]
                elif item["key"] == "deletedFile":
                    staged.pop(value["path"], None)
                    staged_lfs.pop(value["path"], None)
            repo.files, repo.lfs = staged, staged_lfs
            repo.commits.append(summary)
            oid = hashlib.sha1(str(repo.commits).encode()).hexdigest()
            repo_id = f"{parts[2]}/{parts[3]}"
            self._send(
                200,
                {"commitUrl": f"{self._base()}/datasets/{repo_id}/commit/{oid}", "commitOid": oid},
            )
            return
        self._send(404, {"error": f"no route POST {url.path}"})

    def _hold(self) -> None:
        state = self.server.state
        if state.hold_after_puts is not None and len(state.puts) >= state.hold_after_puts:
            state.release.wait(timeout=120)

    def do_PUT(self) -> None:
        self._hold()
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        state = self.server.state
        body = self._body()
        if parts[0] == "lfs-upload" and len(parts) == 2:
            oid = parts[1]
            with state.lock:
                if oid in state.fail_puts:
                    state.fail_puts.discard(oid)
                    self._send(400, {"error": "upload interrupted"})
                    return
            if hashlib.sha256(body).hexdigest() != oid:
                self._send(400, {"error": "content does not match its oid"})
                return
            with state.lock:
                state.objects[oid] = body
                state.puts.append(oid)
            self._send(200, {})
            return
        self._send(404, {"error": f"no route PUT {url.path}"})

    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


class StubHub:
    """Start with `with StubHub(write_tokens={"tok"}) as hub:`; `hub.url` is its endpoint."""

    def __init__(self, write_tokens: set[str], read_tokens: set[str] | None = None) -> None:
        self.state = HubState(write_tokens=write_tokens, read_tokens=read_tokens or set())
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
