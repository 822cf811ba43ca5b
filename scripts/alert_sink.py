#!/usr/bin/env python3
"""The demo's stand-in for mail, WeCom and chat bots (scripts/run --demo): an HTTP server that
takes Alertmanager's webhook notifications and writes one line per alert to stdout, e.g.

  12:04:31 production-mail      FIRING   SO-DEMO-0042  qc_failed (high)  SO-DEMO-0042 batch #1 failed ...

Usage: alert_sink.py PORT (listens on 127.0.0.1). DEMO ONLY: it authenticates nobody.
"""

import http.server
import json
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.end_headers()
        try:
            payload = json.loads(body)
        except ValueError:
            return
        receiver = self.path.strip("/") or payload.get("receiver", "")
        for alert in payload.get("alerts", []):
            labels = alert.get("labels", {})
            detail = alert.get("annotations", {}).get("detail", "")
            print(f"{time.strftime('%H:%M:%S')} {receiver:<20} {alert.get('status', '').upper():<8} "
                  f"{labels.get('order', '-'):<13} {labels.get('alertname', '')} "
                  f"({labels.get('severity', '')})  {detail}", flush=True)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7794
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
