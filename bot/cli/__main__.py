"""``python -m bot.cli``: the ``tally`` command line."""

from bot.cli import main

main()
