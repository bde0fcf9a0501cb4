"""The ``yiwen`` command: serve, migrate, seed the demo shop, manage staff."""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yiwen.core.clock import SystemClock
from yiwen.core.settings import Settings, get_settings

if TYPE_CHECKING:
    from yiwen.bot.service import BotRunner
    from yiwen.core.db import Database
    from yiwen.store.protocol import StoreConnector

DEMO_STAFF = (
    ("admin", "admin", "站长 Admin"),
    ("supervisor", "supervisor", "主管 王敏"),
    ("l1", "agent_l1", "客服 小李"),
    ("l2", "agent_l2", "资深客服 老陈"),
    ("tech", "tech", "技术支持 阿杰"),
    ("finance", "finance", "财务 周姐"),
    ("liaison", "supplier_liaison", "供应商对接 小赵"),
    ("security", "security", "账户安全 刘工"),
)

DEMO_MACROS = (
    (
        "致歉并核实",
        "您好{customer_name}，非常抱歉给您带来不便。我们正在核实订单 {order_no}，"
        "预计 {due_at} 前给您处理结果。",
        None,
    ),
    (
        "卡密已补发",
        "您好，订单 {order_no} 的卡密已重新发送，请在订单页或邮箱查收。"
        "如仍有问题请直接回复本工单 {ticket_no}。",
        "delivery_missing",
    ),
    (
        "退款已受理",
        "您好，订单 {order_no} 的退款已提交，将原路退回，支付宝/微信通常即时到账，"
        "银行卡 1-3 个工作日。",
        "refund_request",
    ),
    (
        "上游处理中",
        "您好，订单 {order_no} 上游供应商正在处理，通常 10 分钟内到账，到账后会第一时间通知您。",
        "delivery_missing",
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic narrates every plugin it loads; its warnings are what matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    result: int = args.run(args, get_settings())
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yiwen", description="一问 Yiwen customer service")
    commands = parser.add_subparsers()

    serve = commands.add_parser("serve", help="migrate, seed the demo (if empty) and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-demo", action="store_true", help="do not seed the demo shop/staff")
    serve.add_argument(
        "--skip-migrate",
        action="store_true",
        help="do not migrate first (production: `yiwen migrate` runs once, before the apps)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="app processes sharing the port (more than one needs PostgreSQL and redis_url)",
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(run=_migrate)

    worker = commands.add_parser("worker", help="deliver notifications and run periodic jobs")
    worker.add_argument("--until-idle", action="store_true", help="exit once nothing is due")
    worker.add_argument(
        "--deliveries-only",
        action="store_true",
        help="deliver notifications but leave the periodic jobs to other workers",
    )
    worker.set_defaults(run=_worker)

    demo = commands.add_parser("demo", help="the embedded demo shop").add_subparsers()
    seed = demo.add_parser("seed", help="generate demo orders")
    seed.add_argument("--orders", type=int, default=5000)
    seed.add_argument("--days", type=int, default=90)
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--reset", action="store_true", help="wipe the demo shop first")
    seed.set_defaults(run=_demo_seed)

    staff = commands.add_parser("staff", help="staff accounts").add_subparsers()
    create = staff.add_parser("create", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True)
    create.add_argument("--display-name", required=True)
    create.add_argument("--password", help="default: generated and printed")
    create.set_defaults(run=_staff_create)

    nlu = commands.add_parser("nlu", help="the bot's language understanding").add_subparsers()
    parse = nlu.add_parser("parse", help="JSON lines {text} on stdin → intent and slots")
    parse.add_argument("--now", help="ISO time that relative words resolve against")
    parse.set_defaults(run=_nlu_parse)
    evaluation = nlu.add_parser("eval", help="score the NLU on a labelled JSON-lines file")
    evaluation.add_argument("file", type=Path)
    evaluation.add_argument("--json", action="store_true", help="machine-readable figures")
    evaluation.set_defaults(run=_nlu_eval)

    connector = commands.add_parser("connector", help="the shop connector").add_subparsers()
    connector_test = connector.add_parser("test", help="check the configured shop connector")
    connector_test.add_argument("--order", help="an order number to look up as a sample")
    connector_test.add_argument("--email", help="a buyer email (or contact) to look up")
    connector_test.set_defaults(run=_connector_test)

    bot = commands.add_parser("bot", help="the customer-service bot").add_subparsers()
    simulate = bot.add_parser("simulate", help="play scripted customers against a demo shop")
    simulate.add_argument("--conversations", type=int, default=1000)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--json", action="store_true", help="one JSON object of figures")
    simulate.set_defaults(run=_bot_simulate)

    workforce = commands.add_parser("workforce", help="forecast and staffing").add_subparsers()
    forecast = workforce.add_parser("forecast", help="the contact forecast's backtest")
    forecast.add_argument("--backtest", action="store_true", required=True)
    forecast.add_argument("--weeks", type=int, default=6)
    forecast.add_argument("--level", type=float, default=20.0, help="mean contacts per hour")
    forecast.add_argument("--seed", type=int, default=1)
    forecast.add_argument("--origins", type=int, default=7)
    forecast.add_argument("--json", action="store_true", help="one JSON object of figures")
    forecast.set_defaults(run=_workforce_backtest)
    plan = workforce.add_parser("plan", help="agents needed vs scheduled per hour")
    plan.add_argument("--days", type=int, default=14)
    plan.set_defaults(run=_workforce_plan)

    kb = commands.add_parser("kb", help="the help-center knowledge base").add_subparsers()
    kb_eval = kb.add_parser("eval", help="top-1/top-3 retrieval accuracy on a JSON-lines file")
    kb_eval.add_argument("file", type=Path)
    kb_eval.set_defaults(run=_kb_eval)

    proactive = commands.add_parser("proactive", help="anomaly detection").add_subparsers()
    detector = proactive.add_parser(
        "eval-detector", help="precision, recall and delay on generated series"
    )
    detector.add_argument("--days", type=int, default=90)
    detector.add_argument("--incidents", type=int, default=8, help="injected per series")
    detector.add_argument("--seeds", type=int, default=3)
    detector.add_argument("--json", action="store_true", help="one JSON object of figures")
    detector.set_defaults(run=_eval_detector)

    retention = commands.add_parser("retention", help="archive old conversations").add_subparsers()
    retention_run = retention.add_parser("run", help="apply the retention policy now")
    retention_run.add_argument("--dry-run", action="store_true", help="only count what would go")
    retention_run.set_defaults(run=_retention_run)
    return parser


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.migrations import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    print(f"database ready: {settings.resolved_database_url()}")
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    """A worker process; any number may run beside `yiwen serve` (set worker_embedded=false)."""
    import signal
    import threading

    from yiwen.conversations.pipeline import MessagePipeline
    from yiwen.conversations.realtime import RealtimeHub, realtime_fanout
    from yiwen.conversations.wakeups import RedisWakeups
    from yiwen.core.db import Database
    from yiwen.core.events import bus
    from yiwen.wiring import build_worker, import_models, install_reactions, warm_up

    import_models()
    install_reactions()
    clock = SystemClock()
    database = Database(settings.resolved_database_url(), echo=settings.sql_echo)
    database.context.update(clock=clock, settings=settings)
    worker = build_worker(database, settings, clock, jobs=() if args.deliveries_only else None)
    # Messages this process stores (a polled mailbox, a WeCom sync) get their bot turn here,
    # and with Redis their events reach the sockets held by the app processes.
    bot = _bot_for_worker(database, settings, clock)
    bot.attach()
    hub = RealtimeHub(realtime_fanout(settings))
    if hub.fanout is not None:
        bus.subscribe("*", hub.on_event)
    # Reactions to messages the app processes took in (yiwen.conversations.pipeline).
    pipeline = MessagePipeline(database, clock)
    wakeups = RedisWakeups(settings.redis_url) if settings.redis_url else None
    if not args.deliveries_only:
        warm_up(settings)
    if args.until_idle:
        pipeline.drain()
        stats = worker.run_until_idle()
    else:
        if not args.deliveries_only:
            pipeline.start()
            if wakeups is not None:
                wakeups.listen(pipeline.wake)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        worker.run_forever(stop)
        stats = worker.stats
    if wakeups is not None:
        wakeups.close()
    pipeline.stop()
    bot.detach()
    if hub.fanout is not None:
        bus.unsubscribe("*", hub.on_event)
        hub.fanout.close()
    database.dispose()
    print(json.dumps({"worker": worker.holder, **vars(stats)}))
    return 0


def _multi_process_problem(settings: Settings) -> str | None:
    """Why several app processes cannot run with these settings, or None."""
    if settings.resolved_database_url().startswith("sqlite"):
        return (
            "--workers > 1 needs PostgreSQL (YIWEN_DATABASE_URL): SQLite lets one process write"
            " at a time. See docs/operations.md."
        )
    if not settings.redis_url:
        return (
            "--workers > 1 needs Redis (YIWEN_REDIS_URL) so that realtime events and rate"
            " limits reach every process. See docs/operations.md."
        )
    return None


def _bot_for_worker(database: Database, settings: Settings, clock: SystemClock) -> BotRunner:
    import threading

    from yiwen.bot.service import BotRunner
    from yiwen.store.registry import build_store

    built: list[StoreConnector] = []
    lock = threading.Lock()

    def store() -> StoreConnector:
        with lock:
            if not built:
                built.append(build_store(settings, clock))
            return built[0]

    return BotRunner(database, clock, settings, store=store)


def _demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.store.connectors.demo.generator import run_seed

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    figures = run_seed(
        settings, orders=args.orders, days=args.days, seed=args.seed, reset=args.reset
    )
    print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    return 0


def _connector_test(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.store.checkup import run_checks

    checks = run_checks(settings, SystemClock(), order_no=args.order, email=args.email)
    for check in checks:
        mark = "✓" if check.ok else "✗"
        print(f"{mark} {check.name}" + (f"：{check.detail}" if check.detail else ""))
    return 0 if all(check.ok for check in checks) else 1


def _nlu_parse(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: the NLU loads scikit-learn, which other commands do not need.
    from yiwen.bot.nlu.cli import run_parse

    return run_parse(args.now, sys.stdin, sys.stdout, ticket_prefix=settings.ticket_number_prefix)


def _nlu_eval(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.bot.nlu.cli import run_eval

    return run_eval(
        args.file, sys.stdout, as_json=args.json, ticket_prefix=settings.ticket_number_prefix
    )


def _bot_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.bot.cli import run_simulate

    return run_simulate(args.conversations, args.seed, sys.stdout, as_json=args.json)


def _workforce_backtest(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.workforce.cli import run_backtest

    return run_backtest(
        sys.stdout,
        weeks=args.weeks,
        level=args.level,
        seed=args.seed,
        origins=args.origins,
        as_json=args.json,
    )


def _workforce_plan(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.workforce.cli import run_plan

    return run_plan(sys.stdout, settings, days=args.days)


def _kb_eval(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.bot.kb.evaluate import run_eval

    return run_eval(settings, args.file, sys.stdout, sys.stderr)


def _eval_detector(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.proactive.anomaly.evaluation import evaluate_all, format_report

    figures = evaluate_all(days=args.days, incidents=args.incidents, seeds=args.seeds)
    print(json.dumps(figures, ensure_ascii=False) if args.json else format_report(figures))
    return 0


def _retention_run(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.auth.audit import Actor
    from yiwen.core.db import Database
    from yiwen.retention.service import run_retention
    from yiwen.wiring import import_models

    import_models()
    clock = SystemClock()
    database = Database(settings.resolved_database_url(), echo=settings.sql_echo)
    database.context.update(clock=clock, settings=settings)
    try:
        report = run_retention(
            database, clock, settings, actor=Actor.system(), dry_run=args.dry_run
        )
    finally:
        database.dispose()
    if not report.dry_run and not report.ran:
        print("retention policy is disabled: nothing archived (PUT /api/v1/admin/retention)")
    print(json.dumps(report.as_dict(), ensure_ascii=False, default=str, indent=2))
    return 1 if report.failed else 0


def _staff_create(args: argparse.Namespace, settings: Settings) -> int:
    from yiwen.auth.service import create_staff
    from yiwen.core.db import Database
    from yiwen.core.errors import DomainError
    from yiwen.core.i18n import translate

    password = args.password or secrets.token_urlsafe(12)
    database = Database(settings.resolved_database_url())
    try:
        with database.transaction() as db:
            create_staff(
                db,
                SystemClock(),
                username=args.username,
                password=password,
                display_name=args.display_name,
                role=args.role,
            )
    except DomainError as exc:
        print(translate(exc.code, **exc.params), file=sys.stderr)
        return 1
    print(f"created {args.username} ({args.role}); password: {password}")
    return 0


def seed_demo_staff(settings: Settings) -> list[tuple[str, str, str]]:
    """Demo accounts, created once with random passwords kept in the data dir (mode 600)."""
    from sqlalchemy import select

    from yiwen.auth.models import StaffUser
    from yiwen.auth.service import create_staff
    from yiwen.core.db import Database
    from yiwen.workspace.models import Macro

    credentials = settings.data_dir / "demo-credentials.json"
    database = Database(settings.resolved_database_url())
    clock = SystemClock()
    with database.transaction() as db:
        if db.scalar(select(StaffUser.id).limit(1)) is None:
            accounts = [(u, r, secrets.token_urlsafe(9)) for u, r, _ in DEMO_STAFF]
            names = {u: n for u, _, n in DEMO_STAFF}
            for username, role, password in accounts:
                create_staff(
                    db,
                    clock,
                    username=username,
                    password=password,
                    display_name=names[username],
                    role=role,
                )
            _write_private(credentials, json.dumps(accounts))
        if db.scalar(select(Macro.id).limit(1)) is None:
            now = clock.now()
            for title, body, category in DEMO_MACROS:
                db.add(
                    Macro(title=title, body=body, category=category, created_at=now, updated_at=now)
                )
    database.dispose()
    if not credentials.exists():
        return []
    return [tuple(row) for row in json.loads(credentials.read_text())]  # type: ignore[misc]


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from yiwen.web.app import create_app

    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1:
        problem = _multi_process_problem(settings)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not args.skip_migrate:
        _migrate(args, settings)
    if not args.no_demo:
        from yiwen.store.connectors.demo.generator import run_seed

        figures = run_seed(settings, orders=5000, days=90, seed=7, reset=False)
        examples = figures.pop("examples", {})
        print(f"demo shop: {json.dumps(figures, ensure_ascii=False, default=str)}")
        print("demo orders to try (case: order no. and the buyer's contact):")
        for case, example in examples.items():
            print(f"  {case:<19} {example}")
        accounts = seed_demo_staff(settings)
        if accounts:
            print("demo staff (username / role / password):")
            for username, role, password in accounts:
                print(f"  {username:<11} {role:<17} {password}")
    print(f"Yiwen 一问 on http://{args.host}:{args.port}  (API docs: /docs)")
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
        return 0
    # Each process builds its app from the environment (YIWEN_*), as `yiwen worker` does.
    uvicorn.run(
        "yiwen.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
