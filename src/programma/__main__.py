"""``python -m programma``: the command line."""

from programma.cli import run

if __name__ == "__main__":
    run()
