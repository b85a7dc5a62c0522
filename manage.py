#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyidai.settings")
    # A bare checkout (neither a debug switch nor a secret key in the environment) is a developer's machine:
    # run commands in development mode. Production sets DJANGO_SECRET_KEY and so stays strict; wsgi never
    # takes this shortcut.
    if "DJANGO_DEBUG" not in os.environ and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ["DJANGO_DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
