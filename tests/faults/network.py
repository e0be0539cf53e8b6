"""Database hosts a fault test can cut off from the network, as a lost machine or a
partition is: each host is a Linux network namespace joined to this machine by a veth
link, and cutting it takes its end of the link down. Packets to it are then dropped
silently (no refusal, no reset), the case a client cannot tell from a slow answer.

The service's address is not the host's: it is one address routed to whichever host
holds it, so that moving it to another host is a failover as a virtual IP or a DNS name
does one. Needs root (CAP_NET_ADMIN) and `ip` (iproute2); every name is the test's own,
so nothing shared is touched, and everything is removed at the end.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

TIMEOUT = 30


def can_make_hosts() -> bool:
    return os.geteuid() == 0 and all(shutil.which(tool) for tool in ("ip", "runuser"))


def ip(*args: str, namespace: str | None = None) -> None:
    command = ["ip", "netns", "exec", namespace, "ip", *args] if namespace else ["ip", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT)


def _claim_subnet() -> tuple[int, IO[bytes]]:
    """A 10.213.<n>.0/24 no route here uses yet, held by a lock on a file of its own: a
    suite running beside this one (CI while a developer's tests run) makes hosts of its
    own, and two suites starting at once must not both take a subnet they each saw free.
    The lock goes with the file's closing (`Network.remove`) or the process's end."""
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, timeout=TIMEOUT)
    ours = (part for part in routes.stdout.split() if part.startswith("10.213."))
    taken = {int(part.split(".")[2]) for part in ours}
    free = [n for n in range(16, 240) if n not in taken]
    secrets.SystemRandom().shuffle(free)
    for subnet in free:
        path = Path(tempfile.gettempdir()) / f"materia-fault-subnet-{subnet}.lock"
        try:
            claim = path.open("ab")  # held open until the network is removed
        except PermissionError:  # another user's file, in a sticky /tmp: theirs
            continue
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.close()
            continue
        return subnet, claim
    raise RuntimeError("no free 10.213.<n>.0/24 subnet for the fault tests' hosts")


@dataclass
class Host:
    """A namespace with one link to this machine: `local` here, `remote` there."""

    name: str
    link: str
    local: str
    remote: str

    def command(self, *args: str) -> list[str]:
        """*args* run inside this host."""
        return ["ip", "netns", "exec", self.name, *args]

    def cut(self) -> None:
        """The host drops off the network: what is sent to it goes unanswered."""
        ip("link", "set", "peer", "down", namespace=self.name)

    def mend(self) -> None:
        ip("link", "set", "peer", "up", namespace=self.name)


@dataclass
class Network:
    """Hosts on /30 links of 10.213.<n>.0, and a service address routed to one of them."""

    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: list[Host] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.subnet, self._claim = _claim_subnet()

    @property
    def service(self) -> str:
        return f"10.213.{self.subnet}.250"

    def add_host(self) -> Host:
        index = len(self.hosts)
        host = Host(
            name=f"materia-{self.tag}-{index}",
            link=f"mt{self.tag}{index}",
            local=f"10.213.{self.subnet}.{4 * index + 1}",
            remote=f"10.213.{self.subnet}.{4 * index + 2}",
        )
        self.hosts.append(host)
        subprocess.run(["ip", "netns", "add", host.name], check=True, timeout=TIMEOUT)
        ip("link", "add", host.link, "type", "veth", "peer", "name", "peer", "netns", host.name)
        ip("addr", "add", f"{host.local}/30", "dev", host.link)
        ip("link", "set", host.link, "up")
        ip("addr", "add", f"{host.remote}/30", "dev", "peer", namespace=host.name)
        ip("link", "set", "peer", "up", namespace=host.name)
        ip("link", "set", "lo", "up", namespace=host.name)
        ip("route", "add", "default", "via", host.local, namespace=host.name)
        return host

    def serve_from(self, host: Host) -> None:
        """The service address answers on *host* from now on (and on no other)."""
        for other in self.hosts:
            if other is not host:
                subprocess.run(
                    other.command("ip", "addr", "del", f"{self.service}/32", "dev", "lo"),
                    capture_output=True,
                    timeout=TIMEOUT,
                )
        ip("addr", "add", f"{self.service}/32", "dev", "lo", namespace=host.name)
        ip("route", "replace", f"{self.service}/32", "via", host.remote)

    def remove(self) -> None:
        subprocess.run(["ip", "route", "del", f"{self.service}/32"], capture_output=True)
        for host in self.hosts:
            # Deleting the namespace deletes its end of the link, and so the link.
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True)
            subprocess.run(["ip", "link", "del", host.link], capture_output=True)
        self._claim.close()  # the subnet is free for another suite again


@contextmanager
def network() -> Iterator[Network]:
    made = Network()
    try:
        yield made
    finally:
        made.remove()
