"""A scripted HTTP email API on 127.0.0.1, for tests.

usage: http_stub.py PORT_FILE LOG_FILE SCRIPT_FILE
Answers each POST with the next line of SCRIPT_FILE: a status code (200, 400, 429, 503, ...),
"invalid" (400 with {"error": "invalid_recipient"}), or "hang" (no answer for 30 s); 200 when
the script is used up. Every request is appended to LOG_FILE as one JSON line.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, log_file, script_file = sys.argv[1:4]
lock = threading.Lock()
state = {"served": 0}


def next_answer():
    with lock:
        lines = [l.strip() for l in open(script_file) if l.strip()]
        index = state["served"]
        state["served"] += 1
    return lines[index] if index < len(lines) else "200"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock, open(log_file, "a") as log:
            log.write(json.dumps({
                "path": self.path,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "authorization": self.headers.get("Authorization"),
                "body": json.loads(body or b"{}"),
            }) + "\n")
        answer = next_answer()
        if answer == "hang":
            time.sleep(30)
            return
        status, payload = (400, {"error": "invalid_recipient"}) if answer == "invalid" else (int(answer), {"ok": answer == "200"})
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".part", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".part", port_file)
server.serve_forever()
