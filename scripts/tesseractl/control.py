# `tessera node ...`: kill, stop, continue or restart one node of a running
# cluster by name. Only the launcher (`tessera up`) owns the QEMUs, so the
# command is a client: it connects to <run dir>/launcher.sock, sends one line
# "VERB NAME" and prints the launcher's answer. The launcher serves the socket
# from its watch loop (Control below) and never blocks on a client: a restart
# is answered once the node's ready line shows, from a later turn of the loop.
#
# Answers are one line: "ok ..." or "error ...". Exit status of the command:
# 0 ok, 1 the launcher refused, 2 no launcher answers (or bad usage).
import os
import signal
import socket
import sys
import time

SOCKET = "launcher.sock"
VERBS = ("kill", "stop", "cont", "restart", "list")
ANSWER_TIMEOUT = 600.0  # seconds a client waits: a restart boots a node
SUN_PATH_MAX = 107


def socket_path(run_dir):
    return os.path.join(run_dir, SOCKET)


class Control:
    """The launcher's side. vms: the cluster's Vm objects; restart(vm) boots
    one again. Each client sends one request; a restart's client waits in
    self.waiting until its node is ready or has failed."""

    def __init__(self, run_dir, vms, restart):
        self.path = socket_path(run_dir)
        self.vms = {vm.node.name: vm for vm in vms}
        self.restart = restart
        self.waiting = []           # (conn, vm) of restarts not yet ready
        if len(self.path) > SUN_PATH_MAX:
            raise OSError(f"{self.path}: too long for a unix socket")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.sock.setblocking(False)

    def close(self):
        for conn, vm in self.waiting:
            answer(conn, f"error {vm.node.name}: the cluster is stopping")
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def poll(self):
        """Take every pending request; answer restarts whose node is up."""
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                break
            self.serve(conn)
        still = []
        for conn, vm in self.waiting:
            if vm.ready_at is not None:
                answer(conn, f"ok {vm.node.name} ready after {vm.boot_seconds():.1f} s")
            else:
                still.append((conn, vm))
        self.waiting = still

    def failed(self, vm, why):
        """A restarted node failed to boot: tell its client before the
        launcher stops the cluster."""
        for conn, v in self.waiting:
            if v is vm:
                answer(conn, f"error {vm.node.name}: {why}")
        self.waiting = [(c, v) for c, v in self.waiting if v is not vm]

    def serve(self, conn):
        conn.settimeout(2.0)
        try:
            words = conn.recv(256).decode(errors="replace").split()
        except OSError:
            conn.close()
            return
        if words == ["list"]:
            answer(conn, "ok " + " ".join(f"{n}={vm.state}" for n, vm in self.vms.items()))
            return
        if len(words) != 2 or words[0] not in VERBS:
            answer(conn, f"error expected one of {', '.join(VERBS)} and a node name")
            return
        verb, name = words
        vm = self.vms.get(name)
        if vm is None:
            answer(conn, f"error no node named {name}")
            return
        if verb == "restart":
            self.restart(vm)
            self.waiting.append((conn, vm))
            return
        answer(conn, signal_vm(vm, verb))


def signal_vm(vm, verb):
    """kill, stop or cont one node's QEMU; the answer line."""
    name = vm.node.name
    if vm.state == "killed":
        return f"error {name} is not running (killed; restart it)"
    if verb == "kill":
        vm.proc.kill()
        vm.proc.wait()
        vm.state = "killed"
        return f"ok {name} killed (pid {vm.proc.pid})"
    if verb == "stop":
        vm.proc.send_signal(signal.SIGSTOP)
        vm.state = "stopped"
        return f"ok {name} stopped (pid {vm.proc.pid})"
    vm.proc.send_signal(signal.SIGCONT)
    vm.state = "running"
    return f"ok {name} continued (pid {vm.proc.pid})"


def answer(conn, line):
    try:
        conn.sendall((line + "\n").encode())
    except OSError:
        pass
    conn.close()


def node_main(run_dir, verb, name):
    """The client: `tessera node VERB [NAME]`; returns the exit status."""
    if (verb == "list") != (name is None):
        print("tessera: node list takes no name; the other verbs take one",
              file=sys.stderr)
        return 2
    path = socket_path(run_dir)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(f"{verb} {name or ''}".strip().encode())
        sock.settimeout(ANSWER_TIMEOUT)
        reply = b""
        start = time.monotonic()
        while not reply.endswith(b"\n") and time.monotonic() - start < ANSWER_TIMEOUT:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    except OSError as e:
        print(f"tessera: no launcher answers at {path}: {e.strerror or e}",
              file=sys.stderr)
        return 2
    finally:
        sock.close()
    line = reply.decode(errors="replace").strip()
    if not line:
        print(f"tessera: the launcher closed {path} without an answer", file=sys.stderr)
        return 2
    print(f"tessera: {line}")
    return 0 if line.startswith("ok") else 1
