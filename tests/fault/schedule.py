"""A fault schedule from a seed: the workloads a schedule runs and the faults it
injects while they run, each at its time. The same seed always gives the same
schedule (and reseeds the fabric, whose random faults then replay too), so a
failing schedule is replayed with `make fault-test SEED=N`."""
import dataclasses
import random

PMONS = ("pmon0", "pmon1")
MMONS = ("mmon0", "mmon1")
NODES = ("gmon0",) + PMONS + MMONS + ("smon0",)

# Fault kinds and how often each is drawn. Fabric faults last a while and are
# then cleared; link flaps, partitions and SIGSTOPs stay under hb_timeout_ms (a
# node silent longer is declared dead, which the kills cover); kills and restarts
# hit one node; inject and forge send hostile frames to one.
KINDS = {
    "loss": 3, "dup": 2, "reorder": 2, "corrupt": 2, "delay": 2,
    "flap": 2, "partition": 2, "stop": 2,
    "kill_mmon": 3, "kill_pmon": 1, "restart_smon": 1, "restart_gmon": 1,
    "inject": 1, "forge": 1,
}
FABRIC_RATES = {"loss": (0.01, 0.08), "dup": (0.01, 0.1), "corrupt": (0.005, 0.03),
                "reorder": (0.05, 0.3)}


@dataclasses.dataclass
class Event:
    kind: str
    at: float               # seconds after the workloads start
    target: str = None      # a node, or None: every port (fabric faults)
    lasts: float = 0.0      # seconds until it is undone (fabric faults, flaps, stops)
    args: tuple = ()        # the fabric command's numbers; forge's seed


@dataclasses.dataclass
class Schedule:
    seed: int
    stress_kib: int         # memstress on pmon0
    stress_seed: int
    lines: int              # the shell pipeline's input on pmon1
    put_bytes: int          # a file put on vNode 1 from the host
    events: list

    def kinds(self):
        return [e.kind for e in self.events]


def event(rng, kind, at):
    if kind in FABRIC_RATES:
        lo, hi = FABRIC_RATES[kind]
        args = (round(rng.uniform(lo, hi), 3),)
        if kind == "reorder":
            args += (rng.choice((1, 5, 20)),)
        return Event(kind, at, rng.choice(NODES + (None,)), rng.uniform(0.5, 2.5), args)
    if kind == "delay":
        return Event(kind, at, rng.choice(NODES + (None,)), rng.uniform(0.5, 2.5),
                     (rng.choice((1, 3, 10)), rng.choice((0, 1, 3))))
    if kind in ("flap", "partition", "stop"):
        return Event(kind, at, rng.choice(NODES), rng.uniform(0.2, 0.6))
    if kind == "kill_mmon":
        return Event(kind, at, rng.choice(MMONS))
    if kind == "kill_pmon":
        return Event(kind, at, rng.choice(PMONS))
    if kind == "restart_smon":
        return Event(kind, at, "smon0")
    if kind == "restart_gmon":
        return Event(kind, at, "gmon0")
    return Event(kind, at, rng.choice(NODES), 0.0, (rng.randrange(1 << 30),))


def schedule(seed):
    """The schedule of seed: one to three faults in the first four seconds, at most
    one of them a kill or a restart (the cluster is put back after each schedule)."""
    rng = random.Random(seed)
    kinds = list(KINDS)
    weights = [KINDS[k] for k in kinds]
    events, drastic = [], False
    for _ in range(rng.choice((1, 2, 2, 3))):
        kind = rng.choices(kinds, weights)[0]
        if kind.startswith(("kill", "restart")):
            if drastic:
                continue
            drastic = True
        events.append(event(rng, kind, round(rng.uniform(0.5, 4.0), 2)))
    return Schedule(seed, rng.choice((2048, 3072, 4096)), rng.randrange(1 << 30),
                    rng.randrange(2000, 20000), rng.randrange(16 << 10, 256 << 10),
                    sorted(events, key=lambda e: e.at))
