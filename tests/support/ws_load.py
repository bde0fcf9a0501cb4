"""A WebSocket load against the multi-process deployment, and the checks on what it left.

Customers hold the widget's socket (``/api/v1/customer/conversations/{id}/ws``)
through nginx and write over HTTP as the widget does (``client_msg_id`` on
every message); agents hold the console's socket (``/api/v1/staff/ws``) and
reply over HTTP. Every customer asks the bot something and waits for its
answer; a share of them then ask for a human, and the agent who owns the
conversation answers the handoff and every later customer message.

The load runs in generator processes (``python -m tests.support.ws_load``),
each an asyncio loop holding its share of the customers and agents, so the
generator does not become the bottleneck of a two-core machine. Each writes
what it sent, what was acknowledged and what every socket received (with
CLOCK_MONOTONIC times, which are comparable across processes) to a JSON file;
:func:`check_delivery` compares those with the database afterwards.

Used by tests/scale/test_ws_load.py (small, correctness only) and
bench/bench_ws_load.py (5,000 customers, with latencies).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.support.deployment import ROOT, Deployment

AGENT_PASSWORD = "Load-passw0rd!"
BOT_QUESTIONS = ("请问卡密怎么兑换", "你好，在吗", "支持哪些支付方式", "怎么充值")
HUMAN_REQUEST = "转人工"
CUSTOMER_FOLLOW_UPS = ("订单还没到账，麻烦看一下", "好的，我等一下", "还有别的办法吗")


@dataclass
class LoadPlan:
    customers: int = 200
    agents: int = 4
    generators: int = 1
    # Customer messages per second across all generators once every socket is open.
    message_rate: float = 20.0
    # Customers who write; the others hold their sockets open and must receive nothing.
    writers_share: float = 1.0
    bot_questions: int = 1
    handoff_share: float = 0.2
    # Messages a handed-off customer writes to the agent after the agent's greeting.
    agent_turns: int = 1
    # New customers (conversation + socket) per second per generator while connecting.
    connect_rate: float = 200.0
    reply_timeout: float = 30.0
    # Hard bounds: the whole run stops after this many seconds whatever is left.
    deadline: float = 600.0
    seed: int = 7


@dataclass
class GeneratorJob:
    plan: LoadPlan
    index: int
    front: str
    agent_usernames: list[str]
    out: str
    ready: str
    go: str


# --- the generator process ---------------------------------------------------


def raise_file_limit() -> int:
    """Sockets are files: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@dataclass
class Customer:
    number: int
    writes: bool = True
    conversation_id: str = ""
    token: str = ""
    baseline: int = 0
    wants_human: bool = False
    received: list[tuple[int, float, str]] = field(default_factory=list)
    waiter: asyncio.Future[tuple[int, str]] | None = None
    wait_after: int = 0
    wait_for: tuple[str, ...] = ()
    socket: Any = None


@dataclass
class Agent:
    username: str
    token: str = ""
    received: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    socket: Any = None


class Generator:
    def __init__(self, job: GeneratorJob) -> None:
        self.job = job
        self.plan = job.plan
        self.rng = random.Random(job.plan.seed * 1000 + job.index)
        self.customers: list[Customer] = []
        self.by_conversation: dict[str, Customer] = {}
        self.agents: list[Agent] = [Agent(name) for name in job.agent_usernames]
        self.handed_off: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        # Acknowledged: (conversation, message id, sent at, acknowledged at, kind, key or body).
        self.acks: list[tuple[str, int, float, float, str, str]] = []
        self.errors: Counter[str] = Counter()
        self.bot_answers: list[float] = []
        self.timeouts = 0
        self.ws = job.front.replace("http://", "ws://")

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=self.job.front, timeout=60, limits=limits) as http:
            self.http = http
            await asyncio.gather(*(self.open_agent(agent) for agent in self.agents))
            await self.open_customers()
            Path(self.job.ready).write_text("ready")
            while not Path(self.job.go).exists():
                await asyncio.sleep(0.05)
            started = time.monotonic()
            scripts = [self.customer_script(customer) for customer in self.customers]
            try:
                await asyncio.wait_for(asyncio.gather(*scripts), self.plan.deadline)
            except TimeoutError:
                self.errors["deadline"] += 1
            self.elapsed = time.monotonic() - started
            # Late frames (a reply's echo to the other sockets) still count.
            await asyncio.sleep(1.0)
            self.closed_at = time.time()
            sockets = [c.socket for c in self.customers] + [a.socket for a in self.agents]
            for socket in sockets:
                if socket is not None:
                    await socket.close()

    async def open_agent(self, agent: Agent) -> None:
        login = await self.http.post(
            "/api/v1/auth/login", json={"username": agent.username, "password": AGENT_PASSWORD}
        )
        login.raise_for_status()
        agent.token = login.json()["token"]
        headers = {"Authorization": f"Bearer {agent.token}"}
        online = await self.http.put(
            "/api/v1/agents/me/presence", json={"presence": "online"}, headers=headers
        )
        online.raise_for_status()
        agent.socket = await websockets.connect(
            f"{self.ws}/api/v1/staff/ws?token={agent.token}", max_queue=None, compression=None
        )
        assert json.loads(await agent.socket.recv())["type"] == "ready"
        asyncio.get_running_loop().create_task(self.read_staff(agent))

    async def open_customers(self) -> None:
        count = self.plan.customers // self.plan.generators + (
            1 if self.job.index < self.plan.customers % self.plan.generators else 0
        )
        gate = asyncio.Semaphore(64)
        interval = 1.0 / self.plan.connect_rate
        tasks = []
        for number in range(count):
            customer = Customer(
                number,
                writes=self.rng.random() < self.plan.writers_share,
                wants_human=self.rng.random() < self.plan.handoff_share,
            )
            customer.wants_human = customer.wants_human and customer.writes
            self.customers.append(customer)
            tasks.append(asyncio.get_running_loop().create_task(self.open_customer(customer, gate)))
            await asyncio.sleep(interval)
        await asyncio.gather(*tasks)

    async def open_customer(self, customer: Customer, gate: asyncio.Semaphore) -> None:
        async with gate:
            for attempt in range(3):
                try:
                    started = await self.http.post("/api/v1/customer/conversations", json={})
                    started.raise_for_status()
                    break
                except httpx.HTTPError as error:
                    self.errors[f"start: {type(error).__name__}"] += 1
                    if attempt == 2:
                        raise
            body = started.json()
            customer.conversation_id = body["conversation"]["id"]
            customer.token = body["token"]
            self.by_conversation[customer.conversation_id] = customer
            path = f"/api/v1/customer/conversations/{customer.conversation_id}"
            customer.socket = await websockets.connect(
                f"{self.ws}{path}/ws?token={customer.token}",
                max_queue=None,
                compression=None,
                open_timeout=60,
            )
            assert json.loads(await customer.socket.recv())["type"] == "ready"
            # Anything stored before the socket was ready is read once, like the widget does.
            listed = await self.http.get(
                f"{path}/messages", headers={"X-Conversation-Token": customer.token}
            )
            listed.raise_for_status()
            items = listed.json()["items"]
            customer.baseline = items[-1]["id"] if items else 0
        asyncio.get_running_loop().create_task(self.read_customer(customer))

    async def read_customer(self, customer: Customer) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in customer.socket:
                now = time.monotonic()
                event = json.loads(frame)
                message = event.get("message")
                if event.get("type") != "message.created" or not isinstance(message, dict):
                    continue
                message_id, sender = message["id"], message["sender_type"]
                customer.received.append((message_id, now, sender))
                waiter = customer.waiter
                if (
                    waiter is not None
                    and not waiter.done()
                    and message_id > customer.wait_after
                    and sender in customer.wait_for
                ):
                    waiter.set_result((message_id, sender))

    async def read_staff(self, agent: Agent) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in agent.socket:
                now = time.monotonic()
                event = json.loads(frame)
                kind = event.get("type")
                if kind == "message.created":
                    message = event["message"]
                    conversation_id = message["conversation_id"]
                    if conversation_id not in self.by_conversation:
                        continue
                    agent.received[conversation_id].append((message["id"], now))
                    if (
                        message["sender_type"] == "customer"
                        and conversation_id in self.handed_off
                        and self.owner(conversation_id) is agent
                    ):
                        self.spawn(self.agent_reply(agent, conversation_id))
                elif kind == "conversation.handed_off":
                    conversation_id = str(event.get("conversation_id"))
                    if conversation_id in self.by_conversation:
                        self.handed_off.add(conversation_id)
                        if self.owner(conversation_id) is agent:
                            self.spawn(self.agent_reply(agent, conversation_id))

    def owner(self, conversation_id: str) -> Agent:
        return self.agents[hash(conversation_id) % len(self.agents)]

    def spawn(self, work: Any) -> None:
        """Run ``work`` in the background, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def agent_reply(self, agent: Agent, conversation_id: str) -> None:
        tag = f"g{self.job.index}-{len(self.acks)}-{self.rng.randrange(10**9)}"
        body = f"您好，这里是人工客服，正在为您处理 [{tag}]"
        sent = time.monotonic()
        try:
            response = await self.http.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"body": body},
                headers={"Authorization": f"Bearer {agent.token}"},
            )
        except httpx.HTTPError as error:
            self.errors[f"agent reply: {type(error).__name__}"] += 1
            return
        acked = time.monotonic()
        if response.status_code != 201:
            self.errors[f"agent reply: HTTP {response.status_code}"] += 1
            return
        self.acks.append((conversation_id, response.json()["id"], sent, acked, "agent", body))

    async def customer_script(self, customer: Customer) -> None:
        if not customer.writes:
            return
        per_writer = self.plan.bot_questions + (
            (1 + self.plan.agent_turns) * self.plan.handoff_share
        )
        writers = self.plan.customers * self.plan.writers_share
        spread = writers * per_writer / self.plan.message_rate
        await asyncio.sleep(self.rng.uniform(0, spread))
        for number in range(self.plan.bot_questions):
            text = self.rng.choice(BOT_QUESTIONS)
            answer = await self.say(customer, f"b{number}", text, ("bot", "system", "agent"))
            if answer is None:
                return
        if not customer.wants_human:
            return
        if await self.say(customer, "h", HUMAN_REQUEST, ("agent",)) is None:
            return
        for number in range(self.plan.agent_turns):
            await asyncio.sleep(self.rng.uniform(0.5, 2.0))
            text = CUSTOMER_FOLLOW_UPS[number % len(CUSTOMER_FOLLOW_UPS)]
            if await self.say(customer, f"a{number}", text, ("agent",)) is None:
                return

    async def say(
        self, customer: Customer, key: str, text: str, answered_by: tuple[str, ...]
    ) -> int | None:
        """Send one message and wait for the answer from ``answered_by``; None on failure."""
        loop = asyncio.get_running_loop()
        customer.waiter = loop.create_future()
        customer.wait_for = answered_by
        # Nothing counts as the answer until the message's own id is known.
        customer.wait_after = 2**62
        client_msg_id = f"{customer.conversation_id}-{key}"
        sent = time.monotonic()
        try:
            response = await self.http.post(
                f"/api/v1/customer/conversations/{customer.conversation_id}/messages",
                json={"client_msg_id": client_msg_id, "body": text},
                headers={"X-Conversation-Token": customer.token},
            )
        except httpx.HTTPError as error:
            self.errors[f"customer message: {type(error).__name__}"] += 1
            return None
        acked = time.monotonic()
        if response.status_code != 201:
            self.errors[f"customer message: HTTP {response.status_code}"] += 1
            return None
        message_id = response.json()["id"]
        self.acks.append((customer.conversation_id, message_id, sent, acked, "customer", key))
        customer.wait_after = message_id
        # The answer may be here already: the bot answers inside the request.
        for received_id, _, sender in customer.received:
            if received_id > message_id and sender in answered_by:
                customer.waiter.set_result((received_id, sender))
                break
        try:
            answer_id, sender = await asyncio.wait_for(customer.waiter, self.plan.reply_timeout)
        except TimeoutError:
            self.timeouts += 1
            self.errors[f"no answer to {key}"] += 1
            return None
        finally:
            customer.waiter = None
        if sender == "bot":
            at = next(at for received, at, _ in customer.received if received == answer_id)
            self.bot_answers.append(at - sent)
        return int(answer_id)

    def result(self) -> dict[str, Any]:
        return {
            "index": self.job.index,
            "elapsed": getattr(self, "elapsed", 0.0),
            "closed_at": getattr(self, "closed_at", time.time()),
            "errors": dict(self.errors),
            "timeouts": self.timeouts,
            "acks": self.acks,
            "bot_answers": self.bot_answers,
            "customers": [
                {
                    "conversation_id": c.conversation_id,
                    "baseline": c.baseline,
                    "wants_human": c.wants_human,
                    "received": c.received,
                }
                for c in self.customers
            ],
            "agents": [{"username": a.username, "received": dict(a.received)} for a in self.agents],
        }


def generator_main(argument: str) -> None:
    payload = json.loads(argument)
    job = GeneratorJob(plan=LoadPlan(**payload.pop("plan")), **payload)
    raise_file_limit()
    generator = Generator(job)
    try:
        import uvloop

        uvloop.run(generator.run())
    except ImportError:
        asyncio.run(generator.run())
    Path(job.out).write_text(json.dumps(generator.result()))


# --- the parent: start generators, collect, check ---------------------------


def create_agents(database_url: str, count: int) -> list[str]:
    """Agent accounts (L1) straight in the database: `yiwen staff create` per agent is slow."""
    from yiwen.auth.service import create_staff
    from yiwen.core.clock import SystemClock
    from yiwen.core.db import Database

    names = [f"load{number:03d}" for number in range(count)]
    database = Database(database_url)
    with database.transaction() as db:
        for name in names:
            create_staff(
                db,
                SystemClock(),
                username=name,
                password=AGENT_PASSWORD,
                display_name=f"压测客服{name[-3:]}",
                role="agent_l1",
            )
    database.dispose()
    return names


def run_load(
    deployment: Deployment,
    plan: LoadPlan,
    work: Path,
    on_go: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Run the generators against ``deployment.front``; their merged results.

    ``on_go`` is called once every socket is open, as the customers start writing.
    """
    assert deployment.front is not None
    agents = create_agents(deployment.env["YIWEN_DATABASE_URL"], plan.agents)
    work.mkdir(parents=True, exist_ok=True)
    go = work / "go"
    jobs = []
    for index in range(plan.generators):
        job = GeneratorJob(
            plan=plan,
            index=index,
            front=deployment.front,
            agent_usernames=agents[index :: plan.generators],
            out=str(work / f"generator-{index}.json"),
            ready=str(work / f"generator-{index}.ready"),
            go=str(go),
        )
        log = (work / f"generator-{index}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.ws_load", json.dumps(asdict(job))],
            cwd=ROOT,
            env=deployment.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        jobs.append((job, process))
    connect_started = time.monotonic()
    try:
        deadline = connect_started + plan.deadline
        while not all(Path(job.ready).exists() for job, _ in jobs):
            for job, process in jobs:
                if process.poll() is not None:
                    raise RuntimeError(_generator_failure(work, job.index))
            if time.monotonic() > deadline:
                raise RuntimeError("generators did not connect in time")
            time.sleep(0.1)
        connected_in = time.monotonic() - connect_started
        if on_go is not None:
            on_go()
        go.write_text("go")
        for job, process in jobs:
            process.wait(timeout=plan.deadline + 120)
            if process.returncode != 0:
                raise RuntimeError(_generator_failure(work, job.index))
    finally:
        for _, process in jobs:
            if process.poll() is None:
                process.kill()
    results = [json.loads(Path(job.out).read_text()) for job, _ in jobs]
    return {"connected_in": connected_in, "generators": results}


def _generator_failure(work: Path, index: int) -> str:
    log = work / f"generator-{index}.log"
    return f"load generator {index} failed:\n{log.read_text(errors='replace')[-4000:]}"


@dataclass
class DeliveryReport:
    acknowledged: int = 0
    stored_once: int = 0
    not_stored: int = 0
    stored_twice: int = 0
    customer_sockets: int = 0
    agent_sockets: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    # Stored after the sockets closed (an answer to a request the client gave up on):
    # no socket could receive these, so they are counted apart, not as lost.
    stored_after_close: int = 0
    handoffs: int = 0
    handoffs_answered: int = 0
    problems: list[str] = field(default_factory=list)


def check_delivery(database_url: str, run: dict[str, Any]) -> DeliveryReport:
    """Every acknowledged message stored once; every socket got its messages in order, once."""
    import psycopg

    report = DeliveryReport()
    customers = [c for result in run["generators"] for c in result["customers"]]
    conversation_ids = [c["conversation_id"] for c in customers]
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    stored: dict[str, list[tuple[int, str, str, str | None, str]]] = defaultdict(list)
    created: dict[int, float] = {}
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT conversation_id, id, sender_type, visibility, client_msg_id, body,"
            " created_at FROM messages WHERE conversation_id = ANY(%s) ORDER BY id",
            (conversation_ids,),
        )
        for conversation_id, message_id, sender, visibility, client_msg_id, body, at in rows:
            stored[conversation_id].append((message_id, sender, visibility, client_msg_id, body))
            created[message_id] = at.timestamp()
    # A message stored in the last half second before the sockets closed may be in flight.
    cutoff = min(result["closed_at"] for result in run["generators"]) - 0.5
    late = {message_id for message_id, at in created.items() if at > cutoff}
    report.stored_after_close = len(late)
    by_id = {row[0]: (cid, row) for cid, rows_ in stored.items() for row in rows_}
    for result in run["generators"]:
        for conversation_id, message_id, _, _, kind, detail in result["acks"]:
            report.acknowledged += 1
            rows_ = stored.get(conversation_id, [])
            if kind == "customer":
                client_msg_id = f"{conversation_id}-{detail}"
                copies = [r for r in rows_ if r[3] == client_msg_id]
            else:
                copies = [r for r in rows_ if r[4] == detail]
            if not copies or by_id.get(message_id, ("", None))[0] != conversation_id:
                report.not_stored += 1
                report.problems.append(f"acknowledged {kind} message {message_id} not stored")
            elif len(copies) > 1:
                report.stored_twice += 1
                report.problems.append(f"{kind} message {message_id} stored {len(copies)} times")
            else:
                report.stored_once += 1
    for customer in customers:
        report.customer_sockets += 1
        conversation_id = customer["conversation_id"]
        expected = [
            row[0]
            for row in stored[conversation_id]
            if row[2] == "public" and row[0] > customer["baseline"] and row[0] not in late
        ]
        got = [item[0] for item in customer["received"]]
        _compare(report, f"customer socket of {conversation_id}", expected, got)
        if customer["wants_human"]:
            report.handoffs += 1
            if any(row[1] == "agent" for row in stored[conversation_id]):
                report.handoffs_answered += 1
    for result in run["generators"]:
        local = {c["conversation_id"] for c in result["customers"]}
        for agent in result["agents"]:
            report.agent_sockets += 1
            for conversation_id in local:
                expected = [row[0] for row in stored[conversation_id] if row[0] not in late]
                got = [item[0] for item in agent["received"].get(conversation_id, [])]
                _compare(report, f"{agent['username']} on {conversation_id}", expected, got)
    return report


def _compare(report: DeliveryReport, where: str, expected: list[int], got: list[int]) -> None:
    duplicated = sum(count - 1 for count in Counter(got).values() if count > 1)
    lost = len(set(expected) - set(got))
    out_of_order = sum(1 for before, after in itertools.pairwise(got) if after < before)
    report.lost += lost
    report.duplicated += duplicated
    report.out_of_order += out_of_order
    if lost or duplicated or out_of_order:
        report.problems.append(f"{where}: expected {expected}, received {got}")


def latencies(run: dict[str, Any]) -> dict[str, list[float]]:
    """Seconds from acknowledgement to arrival on the other side's sockets.

    A frame that arrives before its HTTP response (the event is published at
    commit, the response follows) counts as zero.
    """
    found: dict[str, list[float]] = {
        "customer_to_agent": [],
        "agent_to_customer": [],
        "bot_answer": [],
        "customer_ack": [],
        "agent_ack": [],
    }
    for result in run["generators"]:
        found["bot_answer"].extend(result["bot_answers"])
        at_customer = {
            (c["conversation_id"], message_id): at
            for c in result["customers"]
            for message_id, at, _ in c["received"]
        }
        at_agents = [
            {
                (cid, message_id): at
                for cid, items in a["received"].items()
                for message_id, at in items
            }
            for a in result["agents"]
        ]
        for conversation_id, message_id, sent, acked, kind, _ in result["acks"]:
            found[f"{kind}_ack"].append(acked - sent)
            if kind == "customer":
                for seen in at_agents:
                    if (conversation_id, message_id) in seen:
                        delay = seen[(conversation_id, message_id)] - acked
                        found["customer_to_agent"].append(max(0.0, delay))
            elif (conversation_id, message_id) in at_customer:
                delay = at_customer[(conversation_id, message_id)] - acked
                found["agent_to_customer"].append(max(0.0, delay))
    return found


if __name__ == "__main__":
    generator_main(sys.argv[1])
