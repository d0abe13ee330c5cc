"""The built-in example: a small structure worth sizing.

`make example` runs

    pympler asizeof --detail 2 --setup "$(cat examples/structure.py)" data

which prints the total size of `data` and of its referents two levels deep.
It shows what asizeof counts: instances with their __dict__, shared objects
counted once (the interned "admin" role), a tuple, strings, a nested dict.
"""


class User:
    def __init__(self, name, email, roles):
        self.name = name
        self.email = email
        self.roles = roles
        self.active = True


ADMIN = "admin"

users = [
    User("alice", "alice@example.org", [ADMIN, "dev"]),
    User("bob", "bob@example.org", ["dev"]),
    User("carol", "carol@example.org", [ADMIN]),
]

data = {
    "users": users,
    "version": (1, 1, "pympler-in-c"),
    "motd": "Welcome! " * 8,
    "limits": {"depth": 100, "nodes": {"max": 5000, "warn": 1000}},
}
