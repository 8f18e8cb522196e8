# Following a node's serial log. The kernel's side of the contract: it prints
# "TESSERA READY role=<role> node=<id>" once up, and a line containing one of
# FATAL when it cannot go on (panic, failed self-test or disk check, bad
# boot config).
import re

READY_RE = re.compile(r"TESSERA READY role=(\S+) node=(\d+)")
FATAL = ("TESSERA PANIC", "TESSERA SELFTEST FAIL", "TESSERA DISKCHECK FAIL",
         "TESSERA CONFIG ERROR")
TAIL_BYTES = 64 * 1024


class LogFollower:
    """Hands out the complete lines appended to a file since the last call."""

    def __init__(self, path):
        self.path = path
        self.file = open(path, "rb")
        self.partial = b""

    def new_lines(self):
        data = self.file.read()
        if not data:
            return []
        *lines, self.partial = (self.partial + data).split(b"\n")
        return [decode(line) for line in lines]

    def close(self):
        self.file.close()


def decode(raw):
    return raw.decode("utf-8", "replace").replace("\r", "")


def classify(line, node):
    """Return ("ready", None), ("fatal", why) or (None, None) for one line.
    A READY line with another node's role or id is fatal: the node did not
    get, or did not understand, its own boot config."""
    for marker in FATAL:
        if marker in line:
            return "fatal", line.strip()
    m = READY_RE.search(line)
    if not m:
        return None, None
    if m[1] == node.role and int(m[2]) == node.id:
        return "ready", None
    return "fatal", (f"printed '{m[0]}' but is role={node.role} "
                     f"node={node.id}")


def tail(path, count):
    """The last count lines of a file (empty if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            data = f.read()
    except OSError:
        return []
    lines = [decode(line) for line in data.split(b"\n")]
    if lines[-1] == "":
        lines.pop()     # the file ends with a newline
    return lines[-count:]
