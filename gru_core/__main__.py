"""Command line: ``python -m gru_core export ...`` and ``python -m gru_core train ...``."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m gru_core {export,train} [options]   (add --help after a command for its options)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "export":
        from gru_core.export import cli_main
    elif command == "train":
        from gru_core.train_cli import cli_main
    else:
        print(f"unknown command {command!r}; {usage}", file=sys.stderr)
        return 2
    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main())
