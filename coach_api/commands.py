"""``callcoach serve``, ``users`` and ``tokens``: registered through the ``callcoach.commands``
entry-point group. FastAPI and uvicorn are imported only when ``serve`` runs."""

from __future__ import annotations

import argparse

from pipeline.store.users import Role

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the coaching API and web pages")
    serve.add_argument("--host", help="address to bind (default CALLCOACH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default CALLCOACH_PORT or 8000)")
    serve.add_argument("--workers", type=_positive_int, metavar="N",
                       help="server processes sharing the port (default CALLCOACH_WORKERS or 1); "
                            "each runs its own CALLCOACH_PROCESSING_WORKERS analysis threads")
    serve.set_defaults(handler=run_serve)

    users = subparsers.add_parser("users", help="API users").add_subparsers(
        title="users commands", metavar="ACTION", required=True)
    add = users.add_parser("add", help="add a user and print their first token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--team", action="append", default=[], metavar="T",
                     help="a team the user belongs to (repeatable)")
    add.add_argument("--agent-id", help="for agents: the agent id their calls carry")
    _add_sign_in_options(add)
    add.set_defaults(handler=run_users_add)
    users.add_parser("list", help="list users").set_defaults(handler=run_users_list)
    sign_in = users.add_parser("sign-in", help="let an existing user sign in to the pages: "
                                               "set their password or print a sign-in link")
    sign_in.add_argument("name")
    _add_sign_in_options(sign_in)
    sign_in.set_defaults(handler=run_users_sign_in)

    tokens = subparsers.add_parser("tokens", help="API tokens").add_subparsers(
        title="tokens commands", metavar="ACTION", required=True)
    issue = tokens.add_parser("issue", help="print a new token for a user")
    issue.add_argument("name")
    issue.set_defaults(handler=run_tokens_issue)
    revoke = tokens.add_parser("revoke", help="revoke every token of a user and end their "
                                              "sign-ins to the pages")
    revoke.add_argument("name")
    revoke.set_defaults(handler=run_tokens_revoke)


def _add_sign_in_options(parser: argparse.ArgumentParser) -> None:
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--password", action="store_true",
                     help="ask for a password for the web pages (typed twice, not echoed)")
    how.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    parser.add_argument("--sign-in-link", action="store_true",
                        help="print a one-time sign-in link for the web pages (expires after "
                             "CALLCOACH_SIGN_IN_LINK_MINUTES, 30 by default)")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _settings():
    from coach_api.settings import ApiSettings

    return ApiSettings()


def _store(settings=None):
    from coach_api.storage import ApiStore

    location = (settings or _settings()).location()
    return ApiStore.open(location.url, audio_dir=location.audio_dir)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from coach_api.app import create_app

    settings = _settings()
    workers = args.workers if args.workers is not None else settings.workers
    bind = {"host": args.host or settings.host,
            "port": args.port if args.port is not None else settings.port}
    if workers == 1:
        uvicorn.run(create_app(settings), **bind)
    else:
        serve_workers(workers, **bind)
    return EXIT_OK


def serve_workers(workers: int, *, host: str, port: int) -> None:
    """``workers`` uvicorn processes on one listening socket, each building its own app from
    the same ``CALLCOACH_*`` environment (what ``uvicorn.run(..., workers=N)`` does, but with a
    listener that keeps Nagle's algorithm off: asyncio sets TCP_NODELAY only on connections
    accepted from a socket whose ``proto`` is IPPROTO_TCP, and ``Config.bind_socket`` leaves
    it 0, which delays every keep-alive response ~40 ms on Linux)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("coach_api.app:app_from_env", factory=True, workers=workers,
                            host=host, port=port)
    bound = config.bind_socket()
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass


def run_users_add(args: argparse.Namespace) -> int:
    password = _read_password(args)  # before anything is stored: a typo stores nothing
    settings = _settings()
    with _store(settings) as store:
        user = store.create_user(args.name, role=args.role, teams=tuple(args.team),
                                 agent_id=args.agent_id)
        token = store.issue_token(user.id)
        print(f"added {user.role.value} {user.name} (id {user.id})")
        print(f"token (shown once, keep it safe): {token}")
        _grant_sign_in(store, settings, user, password, link=args.sign_in_link)
    return EXIT_OK


def run_users_sign_in(args: argparse.Namespace) -> int:
    if not (args.password or args.password_stdin or args.sign_in_link):
        raise SystemExit("say how: --password, --password-stdin or --sign-in-link")
    password = _read_password(args)
    settings = _settings()
    with _store(settings) as store:
        _grant_sign_in(store, settings, store.get_user_by_name(args.name), password,
                       link=args.sign_in_link)
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    """The password asked for, checked for length before anything is stored."""
    import getpass
    import sys

    from pipeline.store.passwords import check_new_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.password:
        password = getpass.getpass("password for the web pages: ")
        if getpass.getpass("the same again: ") != password:
            raise SystemExit("the two passwords differ; nothing was changed")
    else:
        return None
    check_new_password(password)
    return password


def _grant_sign_in(store, settings, user, password: str | None, *, link: bool) -> None:
    if password is not None:
        store.set_password(user.id, password)
        print(f"password set for {user.name}; they sign in at {_public_url(settings)}/ui/sign-in")
    if link:
        grant = store.issue_sign_in_link(user.id, lifetime_s=settings.sign_in_link_minutes * 60)
        print(f"one-time sign-in link for {user.name} (works once, until "
              f"{grant.expires_at:%Y-%m-%d %H:%M} UTC):")
        print(f"{_public_url(settings)}/ui/sign-in/link#{grant.token}")


def _public_url(settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def run_users_list(args: argparse.Namespace) -> int:
    with _store() as store:
        users = store.list_users()
    for user in users:
        print(f"{user.id:>4}  {user.name:<24} {user.role.value:<10} "
              f"teams={','.join(user.teams) or '-'} agent_id={user.agent_id or '-'}")
    return EXIT_OK


def run_tokens_issue(args: argparse.Namespace) -> int:
    with _store() as store:
        token = store.issue_token(store.get_user_by_name(args.name).id)
    print(token)
    return EXIT_OK


def run_tokens_revoke(args: argparse.Namespace) -> int:
    """Revoke a user's tokens and end their page sessions: all of their ways in."""
    with _store() as store:
        user = store.get_user_by_name(args.name)
        count = store.revoke_tokens(user.id)
        ended = store.end_sessions(user.id)
    print(f"revoked {count} token(s) of {args.name} and ended {ended} sign-in(s)")
    return EXIT_OK
