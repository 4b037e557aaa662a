"""Random passwords the target connectors set: strong, never logged, stored or shown, except
the ICT desk's one-time password, which is shown once to the person who reset it."""

from __future__ import annotations

import secrets
import string

#: letters and digits nobody misreads on a screen or over the phone (no 0/O, 1/l/I, 5/S)
READABLE = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI5S")


def initial_password() -> str:
    """A new account's first password (27 characters): nobody knows it, and the person must
    change it at first sign-in; they get a usable one from the ICT desk or self-service."""
    alphabet = string.ascii_letters + string.digits + "!#%+-=?"
    core = "".join(secrets.choice(alphabet) for _ in range(24))
    return core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.digits) + "!"


def one_time_password() -> str:
    """A password the ICT desk hands over once ("Kx7m-Pq4r-Zt9w-Hb3n"): 16 random characters
    (about 90 bits) in four groups, with an upper and a lower case letter, a digit and a dash,
    so AD's and Entra's complexity rules accept it; it must be changed at first logon."""
    while True:
        chars = [secrets.choice(READABLE) for _ in range(16)]
        if (any(c.isupper() for c in chars) and any(c.islower() for c in chars)
                and any(c.isdigit() for c in chars)):  # fmt: skip
            return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))
