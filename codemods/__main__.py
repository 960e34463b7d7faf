"""``python -m codemods`` is the ``codemods`` console script."""

from codemods.cli import main

if __name__ == "__main__":
    main()
