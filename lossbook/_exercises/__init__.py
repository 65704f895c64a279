"""Exercise banks, one module per notebook (``n00_welcome.py`` ...), each with ``EXERCISES``."""
