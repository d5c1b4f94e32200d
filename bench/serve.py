"""A local server for the built site that behaves like a static host (GitHub Pages): gzip when the browser asks
for it, and a cache lifetime on every file. Page weight and Lighthouse measured against Python's plain
http.server would count uncompressed bytes and flag missing compression that readers never see.

    with serve(Path("site")) as url: ...     # url = "http://127.0.0.1:<port>/"
"""

import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import QuietHandler, serve as serve_directory  # noqa: E402

COMPRESSIBLE = (".html", ".js", ".mjs", ".css", ".json", ".svg", ".xml", ".txt", ".py", ".map", ".csv", ".jsonl")


class StaticHostHandler(QuietHandler):
    _gzipped: dict = {}   # path → compressed bytes, shared by the server's threads (the site does not change)

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")   # GitHub Pages sends the same lifetime
        super().end_headers()

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (not path.is_file() or not path.name.endswith(COMPRESSIBLE)
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        body = self._gzipped.get(path)
        if body is None:
            body = self._gzipped[path] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(site: Path):
    return serve_directory(site, StaticHostHandler)
