# `tessera up`: start the fabric, boot one QEMU per topology node with a NIC
# on it, wait for every node's ready line, then stay in the foreground until
# a signal (or, with --smoke, stop at once and print a boot-time table).
# Whatever happens, no VM and no fabric outlives it.
import fcntl
import os
import signal
import sys
import time

from . import control, fabric, nodecfg, qemu, watch

POLL = 0.05             # seconds between log polls while booting
UP_POLL = 0.2           # ... and once the cluster is up
DRAIN_QUIET = 0.5       # after a fatal line, read until quiet this long
DRAIN_MAX = 3.0         # ... but no longer than this
LOG_TAIL = 40
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def info(msg):
    print(f"tessera: {msg}", flush=True)


def error(msg):
    print(f"tessera: {msg}", file=sys.stderr, flush=True)


def shown(path):
    """path relative to the working directory when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class Vm:
    """One node's QEMU, its serial log and its boot state."""

    def __init__(self, node, run_dir):
        self.node = node
        self.base = os.path.join(run_dir, node.name)
        self.log_path = self.base + ".log"
        self.err_path = self.base + ".stderr"
        self.proc = None
        self.log = None
        self.started = None
        self.ready_at = None
        self.state = "running"      # or "stopped", "killed" (tessera node)
        self.restarts = 0

    def start(self, cluster, accel, iso, fabric_dir):
        for ext in (".cfg", ".log", ".stderr", ".pid", ".mon"):
            remove(self.base + ext)
        with open(self.base + ".cfg", "w") as f:
            f.write(nodecfg.render(cluster, self.node))
        open(self.log_path, "wb").close()
        self.log = watch.LogFollower(self.log_path)
        cmd = (qemu.argv(self.node, accel, iso, self.base + ".cfg",
                         self.log_path, self.disk())
               + fabric.nic_args(self.node, cluster.mtu))
        self.started = time.monotonic()
        self.proc = qemu.spawn(cmd, self.err_path, cwd=fabric_dir)
        with open(self.base + ".pid", "w") as f:
            f.write(f"{self.proc.pid}\n")

    def restart(self, cluster, accel, iso, fabric_dir):
        """Boot the node again with the same configuration (and disk): a
        running QEMU is killed first. The old serial log is kept as
        <name>.log.N; QEMU's end of the fabric port is unbound so the new one
        can bind it."""
        if self.state != "killed":
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.restarts += 1
        os.replace(self.log_path, f"{self.log_path}.{self.restarts}")
        remove(os.path.join(fabric_dir, f"{self.node.name}.peer.sock"))
        self.ready_at = None
        self.state = "running"
        info(f"{self.node.name}: restarting (earlier log kept as "
             f"{shown(self.log_path)}.{self.restarts})")
        self.start(cluster, accel, iso, fabric_dir)

    def disk(self):
        """An smon's disk image, made ready (see qemu.prepare_disk); None
        for other roles. Without a disk key it is <run dir>/<name>.disk,
        which later runs in the same run dir find again."""
        if self.node.role != "smon":
            return None
        path = self.node.disk or self.base + ".disk"
        size, created = qemu.prepare_disk(path, self.node.disk_mib)
        info(f"{self.node.name}: disk {shown(path)}, {size / (1 << 20):g} MiB"
             + (" (created)" if created else ""))
        return path

    # Poll QEMU before reading the log: a VM that printed its last words and
    # exited between the two must still have those words seen.
    def check(self):
        """Read new log lines; return why the node failed, or None. A node
        killed on purpose (tessera node kill) has not failed."""
        if self.state == "killed":
            return None
        status = self.proc.poll()
        for line in self.log.new_lines():
            kind, why = watch.classify(line, self.node)
            if kind == "fatal":
                return why
            if kind == "ready" and self.ready_at is None:
                self.ready_at = time.monotonic()
                info(f"{self.node.name} ({self.node.role}, id {self.node.id})"
                     f" ready after {self.boot_seconds():.1f} s")
        if status is not None:
            return f"QEMU exited with status {status}"
        return None

    def drain(self):
        """Wait for the rest of a panic (registers, backtrace) to reach the
        log: until it is quiet for DRAIN_QUIET s, QEMU exits or DRAIN_MAX."""
        end = time.monotonic() + DRAIN_MAX
        quiet_since = time.monotonic()
        while time.monotonic() < end and self.proc.poll() is None:
            if self.log.new_lines():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= DRAIN_QUIET:
                return
            time.sleep(POLL)

    def boot_seconds(self):
        return (self.ready_at or time.monotonic()) - self.started

    def stopped(self):
        if self.log:
            self.log.close()
        remove(self.base + ".pid")
        remove(self.base + ".mon")


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Signals:
    """Turns SIGINT/SIGTERM/SIGHUP into a flag the poll loops look at, so a
    signal never interrupts a half-done start or teardown."""

    def __init__(self):
        self.signum = None
        self.saved = {}

    def __enter__(self):
        for s in STOP_SIGNALS:
            self.saved[s] = signal.signal(s, self.catch)
        return self

    def __exit__(self, *exc):
        for s, handler in self.saved.items():
            signal.signal(s, handler)

    def catch(self, signum, frame):
        self.signum = self.signum or signum

    def name(self):
        return signal.Signals(self.signum).name


def report(vm, why, seconds):
    node = vm.node
    error(f"node {node.name} ({node.role}, id {node.id}) failed after "
          f"{seconds:.1f} s: {why}")
    lines = watch.tail(vm.log_path, LOG_TAIL)
    print(f"--- last {len(lines)} lines of {shown(vm.log_path)} ---",
          *lines, "--- end of log ---", sep="\n", file=sys.stderr)
    errs = watch.tail(vm.err_path, 10)
    if errs:
        print(f"--- QEMU stderr ({shown(vm.err_path)}) ---", *errs,
              sep="\n", file=sys.stderr)
    sys.stderr.flush()


def fail_fabric(fab, why):
    error(f"the fabric failed: {why}")
    lines = watch.tail(fab.log_path, LOG_TAIL)
    print(f"--- last {len(lines)} lines of {shown(fab.log_path)} ---",
          *lines, "--- end of log ---", sep="\n", file=sys.stderr)
    sys.stderr.flush()
    return 1


def fail(vm, why):
    seconds = vm.boot_seconds()
    if not why.startswith("QEMU exited"):
        vm.drain()
    report(vm, why, seconds)
    return 1


def interrupted(sigs):
    error(f"interrupted by {sigs.name()} while booting")
    return 128 + sigs.signum


def wait_ready(vms, fab, timeout, sigs):
    """Poll every log until all nodes are ready (0), one or the fabric fails
    (1) or a signal arrives (128 + signal)."""
    while True:
        if sigs.signum:
            return interrupted(sigs)
        if fab.check():
            return fail_fabric(fab, fab.check())
        for vm in vms:
            why = vm.check()
            if why:
                return fail(vm, why)
            if vm.ready_at is None and vm.boot_seconds() > timeout:
                return fail(vm, f"no ready line within {timeout:g} s "
                                "(boot_timeout)")
        if all(vm.ready_at for vm in vms):
            return 0
        time.sleep(POLL)


def stay_up(cluster, accel, dirs, vms, fab, sigs):
    """Watch a ready cluster until a signal (0) or a node or the fabric
    dies (1), serving `tessera node` requests meanwhile."""
    def restart(vm):
        vm.restart(cluster, accel, iso_path(dirs.build, vm.node.role), fab.dir)

    print_table(vms)
    try:
        ctl = control.Control(dirs.run, vms, restart)
    except OSError as e:
        error(f"cannot serve tessera node requests: {e}")
        return 1
    info("cluster ready; Ctrl-C to stop")
    try:
        return watch_up(cluster, vms, fab, sigs, ctl)
    finally:
        ctl.close()


def watch_up(cluster, vms, fab, sigs, ctl):
    while not sigs.signum:
        if fab.check():
            return fail_fabric(fab, fab.check())
        ctl.poll()
        for vm in vms:
            why = vm.check()
            if why is None and vm.ready_at is None and \
                    vm.boot_seconds() > cluster.boot_timeout:
                why = f"no ready line within {cluster.boot_timeout:g} s (boot_timeout)"
            if why:
                ctl.failed(vm, why)
                return fail(vm, why)
        time.sleep(UP_POLL)
    info(f"{sigs.name()}: stopping the cluster")
    return 0


def start_fabric(cluster, fab, sigs):
    """Start the fabric and wait until its control socket answers."""
    try:
        fab.start()
    except OSError as e:
        error(f"cannot start the fabric: {e}")
        return 1
    why = fab.wait_ready(sigs)
    if sigs.signum:
        return interrupted(sigs)
    if why:
        return fail_fabric(fab, why)
    info(f"fabric up (seed {cluster.seed}): control socket "
         f"{shown(fab.dir)}/{fabric.CONTROL}, log {shown(fab.log_path)}; "
         "drive it with 'scripts/tessera fault help'")
    return 0


def boot(cluster, accel, dirs, vms, fab, sigs, smoke):
    # The map host endpoints (build/tessera-net) read to join the cluster.
    with open(os.path.join(dirs.run, "cluster.map"), "w") as f:
        f.write(nodecfg.cluster_map(cluster))
    code = start_fabric(cluster, fab, sigs)
    if code:
        return code
    info(f"starting {len(cluster.nodes)} nodes from {cluster.path}; "
         f"serial logs in {shown(dirs.run)}/")
    for node in cluster.nodes:
        if sigs.signum:
            break
        vm = Vm(node, dirs.run)
        vms.append(vm)
        try:
            vm.start(cluster, accel, iso_path(dirs.build, node.role),
                     fab.dir)
        except OSError as e:
            error(f"cannot start {node.name}: {e}")
            return 1
    code = wait_ready(vms, fab, cluster.boot_timeout, sigs)
    if code == 0 and not smoke:
        code = stay_up(cluster, accel, dirs, vms, fab, sigs)
    return code


def iso_path(build_dir, role):
    return os.path.join(build_dir, "iso", f"{role}.iso")


def check_prerequisites(cluster, dirs):
    """Return an error message, or None if QEMU, every ISO and the fabric
    are there."""
    for path in (dirs.run, dirs.build):
        if "," in path:
            return f"{path}: QEMU options cannot carry ',' in a path"
    if not qemu.find_qemu():
        return f"{qemu.QEMU} not found; run scripts/deps"
    missing = [shown(iso_path(dirs.build, role)) for role in cluster.roles()
               if not os.path.isfile(iso_path(dirs.build, role))]
    targets = ["iso"] if missing else []
    if not os.access(fabric.binary(dirs.build), os.X_OK):
        missing.append(shown(fabric.binary(dirs.build)))
        targets.append("build/fabric")
    if missing:
        return f"missing {', '.join(missing)}; run 'make {' '.join(targets)}'"
    return None


def lock_run_dir(run_dir):
    """Hold an exclusive lock on the run dir for the launcher's lifetime:
    two launchers sharing one would truncate each other's logs."""
    os.makedirs(run_dir, exist_ok=True)
    fd = os.open(os.path.join(run_dir, ".lock"), os.O_RDWR | os.O_CREAT
                 | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def print_table(vms):
    rows = [("node", "role", "id", "vcpus", "memory", "boot")]
    rows += [(vm.node.name, vm.node.role, str(vm.node.id), str(vm.node.vcpus),
              f"{vm.node.memory} MiB", f"{vm.boot_seconds():.1f} s")
             for vm in vms]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        cells = [c.ljust(w) if i < 2 else c.rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        print("  ".join(cells).rstrip(), flush=True)


def up(cluster, dirs, smoke=False):
    """Run `tessera up`; return the exit status."""
    problem = check_prerequisites(cluster, dirs)
    if problem:
        error(problem)
        return 1
    lock = lock_run_dir(dirs.run)
    if lock is None:
        error(f"{shown(dirs.run)} is in use by another tessera; "
              "pass another --run-dir")
        return 1
    accel, why = qemu.choose_accel(cluster.accel)
    info(f"accel={accel} ({why})")
    vms = []
    fab = fabric.Fabric(dirs.build, dirs.run, cluster)
    with Signals() as sigs:
        try:
            code = boot(cluster, accel, dirs, vms, fab, sigs, smoke)
        finally:
            for vm in vms:
                if vm.state == "stopped":
                    vm.proc.send_signal(signal.SIGCONT)
            qemu.stop_all([vm.proc for vm in vms if vm.proc])
            for vm in vms:
                vm.stopped()
            fab.stop()
            os.close(lock)
    if code == 0 and smoke:
        print_table(vms)
    elif code == 0:
        info("cluster stopped")
    return code
