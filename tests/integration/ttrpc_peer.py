"""A ttRPC peer in a few lines of Python, for tests and the demo: hand-encoded
protobuf for the envelope, frames, a recording stub agent and a client."""
import os, socket, struct, threading, time

# --- protobuf, just what the ttRPC envelope needs -------------------------
def varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])

def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data

def request(service, method, payload=b""):
    return field_bytes(1, service.encode()) + field_bytes(2, method.encode()) + field_bytes(3, payload)

def parse(buf):
    """Fields of one message as {num: [values]} (varints as int, else bytes)."""
    i, out = 0, {}
    while i < len(buf):
        key = 0; shift = 0
        while True:
            b = buf[i]; i += 1; key |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80: break
        num, wt = key >> 3, key & 7
        if wt == 0:
            v = 0; shift = 0
            while True:
                b = buf[i]; i += 1; v |= (b & 0x7F) << shift; shift += 7
                if not b & 0x80: break
        elif wt == 2:
            n = 0; shift = 0
            while True:
                b = buf[i]; i += 1; n |= (b & 0x7F) << shift; shift += 7
                if not b & 0x80: break
            v = buf[i:i + n]; i += n
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out

def frame(stream, ftype, payload):
    return struct.pack(">IIBB", len(payload), stream, ftype, 0) + payload

def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def read_frame(s):
    length, stream, ftype, flags = struct.unpack(">IIBB", recv_exact(s, 10))
    return stream, ftype, recv_exact(s, length)

def response(payload):
    f = parse(payload)
    status = parse(f[1][0]) if 1 in f else {}
    code = status.get(1, [0])[0]
    msg = status.get(2, [b""])[0].decode()
    return code, msg, f.get(2, [b""])[0]

# --- the stub agent ----------------------------------------------------------
class StubAgent:
    def __init__(self, path):
        self.path, self.record, self.lock = path, [], threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path); self.sock.listen(256)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        try:
            while True:
                stream, ftype, payload = read_frame(c)
                req = parse(payload)
                name = req[1][0].decode() + "/" + req[2][0].decode()
                with self.lock:
                    self.record.append(name)
                body = b"agent-answer:" + name.encode() + b":" + bytes(range(256))
                c.sendall(frame(stream, 2, field_bytes(1, b"") + field_bytes(2, body)))
        except (EOFError, OSError):
            c.close()

    def seen(self, name):
        with self.lock:
            return self.record.count(name)

    def close(self):
        self.sock.close()
        os.unlink(self.path)

# --- the run ----------------------------------------------------------------
def ccgate_cmd(path):
    """ccgate's argv prefix: under CCGATE_WRAPPER (valgrind) when the test setup asks."""
    wrapper = os.environ.get("CCGATE_WRAPPER")
    return [wrapper, path] if wrapper else [path]

def connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path); s.settimeout(20); return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)

def call(s, stream, service, method, payload=b""):
    s.sendall(frame(stream, 1, request(service, method, payload)))
    sid, ftype, body = read_frame(s)
    assert sid == stream and ftype == 2, (sid, ftype)
    return response(body)

