"""Play scripted customers against a fresh demo shop through the bot's real service.

Each conversation is started and every customer message stored with the
conversation service, then answered by :class:`yiwen.bot.service.BotRunner` —
the same path the public API takes after a message commits. Follow-ups are run
by the worker's job after the simulated clock moves on. Afterwards the
simulator, which knows each order's true case, judges the bot's outcome and
every shop action it took.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from yiwen.auth.audit import AuditEntry
from yiwen.bot.models import BotAction, BotOutcome
from yiwen.bot.service import BotRunner, run_due_followups
from yiwen.bot.simulate import scripts
from yiwen.bot.simulate.judge import Observed, judge
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_customer_message, start_conversation
from yiwen.core.clock import SHANGHAI, FixedClock, to_local
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.customers.service import find_or_create_customer, link_identity, normalise_contact
from yiwen.migrations import upgrade
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import seed_demo_shop
from yiwen.store.connectors.demo.models import ShopOrder
from yiwen.tickets.models import Ticket
from yiwen.wiring import install_reactions

START = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
MAX_MESSAGES = 6
ORDER_RE = re.compile(r"[A-Z0-9]{16,20}")


@dataclass
class Report:
    conversations: int = 0
    resolved: int = 0
    correct: int = 0
    wrong_actions: int = 0
    turns_to_resolution: list[int] = field(default_factory=list)
    handoffs: Counter[str] = field(default_factory=Counter)
    by_script: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        total = max(1, self.conversations)
        turns = self.turns_to_resolution
        return {
            "conversations": self.conversations,
            "containment": round(self.resolved / total, 4),
            "correct_resolution_rate": round(self.correct / total, 4),
            "wrong_actions": self.wrong_actions,
            "mean_turns": round(sum(turns) / len(turns), 2) if turns else 0.0,
            "handoffs_by_reason": dict(self.handoffs.most_common()),
        }


@dataclass
class Persona:
    gives_order: bool
    contact_known: bool
    logged_in: bool
    angry: bool
    thanks: bool


class Simulation:
    def __init__(self, directory: Path, *, seed: int, orders: int) -> None:
        self.rng = random.Random(seed)
        self.clock = FixedClock(START)
        url = f"sqlite:///{directory / 'sim.db'}"
        upgrade(url)
        self.settings = Settings(
            data_dir=directory,
            database_url=url,
            secret_key="simulation",
            demo_shop_url=f"sqlite:///{directory / 'shop.db'}",
        )
        self.database = Database(url)
        self.database.context.update(clock=self.clock, settings=self.settings)
        install_reactions()
        self.store = DemoStoreConnector.open(
            self.settings.resolved_demo_shop_url(), self.clock, seed=seed
        )
        seed_demo_shop(self.store, orders=orders, seed=seed, now=self.clock.now())
        self.pools = self._pools()
        self.runner = BotRunner(self.database, self.clock, self.settings, lambda: self.store)

    def close(self) -> None:
        self.store.close()
        self.database.dispose()

    def _pools(self) -> dict[str, list[ShopOrder]]:
        with self.store.shop.database.reading() as session:
            rows = list(session.scalars(select(ShopOrder).order_by(ShopOrder.order_no)))
            session.expunge_all()
        pools: dict[str, list[ShopOrder]] = {}
        for row in rows:
            pools.setdefault(row.scenario, []).append(row)
        for pool in pools.values():
            self.rng.shuffle(pool)
        return pools

    def _order_for(self, script: scripts.Script) -> ShopOrder | None:
        pool = self.pools.get(script.case or "", [])
        for index, order in enumerate(pool):
            amount = float(order.amount)
            if script.max_amount is not None and amount > script.max_amount:
                continue
            if script.min_amount is not None and amount < script.min_amount:
                continue
            if script.name == "account_stolen" and not order.shop_user_id:
                continue
            return pool.pop(index)
        return None

    def run(self, conversations: int) -> Report:
        report = Report()
        weights = [s.weight for s in scripts.SCRIPTS]
        while report.conversations < conversations:
            script = self.rng.choices(scripts.SCRIPTS, weights=weights)[0]
            order = self._order_for(script) if script.case else None
            if script.case and order is None:
                continue  # this case's orders are used up; draw another script
            self._play(script, order, report)
        return report

    def _play(self, script: scripts.Script, order: ShopOrder | None, report: Report) -> None:
        rng = self.rng
        persona = Persona(
            gives_order=rng.random() < 0.65,
            contact_known=rng.random() < 0.6,
            logged_in=script.name == "account_stolen" or rng.random() < 0.25,
            angry=rng.random() < 0.15,
            thanks=rng.random() < 0.3,
        )
        if script.impostor:
            persona = Persona(True, False, False, persona.angry, False)
        conversation_id = self._start(order, persona)
        reveals_before = self._count_reveals()
        text: str | None = self._opener(script, order, persona)
        messages, resolved_at = 0, None
        said: list[str] = []
        status = "bot"
        while text is not None and messages < MAX_MESSAGES:
            messages += 1
            status, replies = self._send(conversation_id, text, messages)
            said.extend(replies)
            if status != "bot":
                break
            text = self._answer(script, order, persona, replies, conversation_id)
        if status == "resolved":
            resolved_at = messages
            if persona.thanks:
                self._send(conversation_id, rng.choice(scripts.THANKS), messages + 1)
        observed = self._observe(
            conversation_id, order, said, self._count_reveals() - reveals_before
        )
        verdict = judge(script, order, observed, self.settings.bot_auto_refund_limit)
        report.conversations += 1
        counts = report.by_script.setdefault(script.name, Counter())
        counts["total"] += 1
        if observed.outcome == "resolved":
            report.resolved += 1
            counts["resolved"] += 1
            if resolved_at is not None:
                report.turns_to_resolution.append(resolved_at)
        elif observed.reason:
            report.handoffs[observed.reason] += 1
        if verdict.correct:
            report.correct += 1
            counts["correct"] += 1
        report.wrong_actions += len(verdict.wrong)
        report.wrong.extend(f"{script.name}: {w}" for w in verdict.wrong)

    def _start(self, order: ShopOrder | None, persona: Persona) -> str:
        with self.database.transaction() as db:
            if persona.logged_in and order is not None and order.shop_user_id:
                customer = find_or_create_customer(
                    db, self.clock, channel="shop", external_id=order.shop_user_id, verified=True
                )
            else:
                customer = find_or_create_customer(
                    db, self.clock, channel="web", external_id=new_id()
                )
                if persona.contact_known and order is not None and order.contact:
                    channel, value = normalise_contact(order.contact)
                    link_identity(db, self.clock, customer, channel=channel, external_id=value)
            conversation, _token = start_conversation(db, self.clock, customer, channel="web")
            return conversation.id

    def start_for_bench(self, order: ShopOrder) -> str:
        """A conversation of the order's buyer (known by contact), for the benchmark."""
        return self._start(order, Persona(True, True, False, False, False))

    def store_message(self, conversation_id: str, text: str, index: int = 1) -> int:
        """Store a customer's message as the API does; the bot's turn is the caller's to run."""
        with self.database.transaction() as db:
            conversation = db.get_one(Conversation, conversation_id)
            message, _created = post_customer_message(
                db,
                self.clock,
                conversation,
                body=text,
                client_msg_id=f"s{index}",
                attachment_ids=[],
                max_chars=self.settings.message_max_chars,
            )
            return message.id

    def _send(self, conversation_id: str, text: str, index: int) -> tuple[str, list[str]]:
        message_id = self.store_message(conversation_id, text, index)
        self.runner.run_turn(conversation_id, message_id)
        return self._after(conversation_id, message_id)

    def _after(self, conversation_id: str, message_id: int) -> tuple[str, list[str]]:
        with self.database.reading() as db:
            status = db.get_one(Conversation, conversation_id).status
            replies = list(
                db.scalars(
                    select(Message.body)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.id > message_id,
                        Message.sender_type == "bot",
                        Message.visibility == "public",
                    )
                    .order_by(Message.id)
                )
            )
        return status, replies

    def _opener(self, script: scripts.Script, order: ShopOrder | None, persona: Persona) -> str:
        lines = scripts.OPENERS[script.intent]
        with_no = [line for line in lines if "{no}" in line]
        without = [line for line in lines if "{no}" not in line]
        pick = with_no if (persona.gives_order and with_no) or not without else without
        line = self.rng.choice(pick)
        text = line.format(**self._facts(order))
        return (self.rng.choice(scripts.ANGER) + text) if persona.angry else text

    def _facts(self, order: ShopOrder | None) -> dict[str, str]:
        if order is None:
            return {"no": "", "amount": "", "method": "", "time": ""}
        moment = to_local(order.paid_at or order.created_at)
        return {
            "no": order.order_no,
            "amount": f"{order.amount:g}",
            "method": "支付宝" if self.rng.random() < 0.5 else "微信",
            "time": f"{moment:%m月%d日%H:%M}",
        }

    def _answer(
        self,
        script: scripts.Script,
        order: ShopOrder | None,
        persona: Persona,
        replies: list[str],
        conversation_id: str,
    ) -> str | None:
        last = replies[-1] if replies else ""
        if "是这一笔吗" in last:
            proposed = ORDER_RE.search(last)
            right = (
                order is not None and proposed is not None and proposed.group() == order.order_no
            )
            return "是的" if right else "不是"
        if "回复数字" in last:
            return scripts.CHOICE_FOR.get(script.intent, "6")
        if "手机号或邮箱" in last and "订单号" not in last:
            if script.impostor or order is None or not order.contact:
                return f"1{self.rng.randrange(3, 9)}{self.rng.randrange(10**9):09d}"
            return f"下单手机号是 {order.contact}" if "@" not in order.contact else order.contact
        if "订单号" in last and "工单号" not in last[: last.find("订单号")]:
            if order is None:
                return "没有订单号"
            if order.contact and not script.impostor and self.rng.random() < 0.3:
                return order.contact
            return order.order_no
        if "重新提交上游" in last or "仍在处理中" in last:
            self.clock.advance(timedelta(minutes=10))
            with self.database.transaction() as db:
                run_due_followups(db, self.clock, self.store)
            with self.database.reading() as db:
                if db.get_one(Conversation, conversation_id).status != "bot":
                    return None
            return self.rng.choice(scripts.CHASERS)
        if "工单号" in last:
            return None
        return self._opener(script, order, Persona(True, False, False, False, False))

    def _count_reveals(self) -> int:
        with self.database.reading() as db:
            return (
                db.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == "card_key.reveal")
                )
                or 0
            )

    def _observe(
        self, conversation_id: str, order: ShopOrder | None, said: list[str], reveals: int
    ) -> Observed:
        with self.database.reading() as db:
            outcome = db.scalar(
                select(BotOutcome).where(BotOutcome.conversation_id == conversation_id)
            )
            actions = list(
                db.scalars(select(BotAction).where(BotAction.conversation_id == conversation_id))
            )
            ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id))
            observed = Observed(
                outcome=outcome.outcome if outcome else None,
                reason=outcome.reason if outcome else None,
                category=ticket.category if ticket else None,
                actions=[(a.action, a.order_no, a.shop_user_id, a.amount) for a in actions],
                reveals=reveals,
                said=" ".join(said),
                order_after=self.store.get_order(order.order_no) if order is not None else None,
            )
        return observed


def simulate(conversations: int, *, seed: int, orders: int | None = None) -> Report:
    """Run ``conversations`` scripted conversations on a fresh temporary shop and database."""
    # Memory-backed when the system has it: the simulation's databases are thrown away.
    shm = Path("/dev/shm")
    parent = str(shm) if shm.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="yiwen-sim-", dir=parent) as directory:
        simulation = Simulation(
            Path(directory), seed=seed, orders=orders or max(3000, conversations * 6)
        )
        try:
            return simulation.run(conversations)
        finally:
            simulation.close()
