"""`indexdsl serve`: explore an index in the browser."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _print_diagnostics


def cmd_serve(args, session) -> int:
    """The explorer: a local web server on 127.0.0.1 until Ctrl-C."""
    from indexdsl.diagnostics import UsageError
    from indexdsl.serve.server import make_server
    from indexdsl.serve.session import Explorer

    # texts parsed as they are edited: none kept between runs (syntax/parsed_cache.py)
    from indexdsl.syntax import parsed_cache

    parsed_cache.stop_keeping()
    explorer = Explorer.open(args.file)
    _print_diagnostics(explorer.session.warnings, explorer.session.sources)
    try:
        server = make_server(explorer, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"exploring {args.file} at {url} (Ctrl-C to stop)", flush=True)
    if not args.no_open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK
