"""An example that leaks: a cache that grows with each request and is never
trimmed.

    pympler summary --diff examples/leaky.py   # what the program added
"""

_cache = {}


def handle(request):
    # the answer is cached under a key that never repeats: the cache only grows
    key = "%s-%d" % (request, len(_cache))
    _cache[key] = ["response to", request, len(_cache)]
    return _cache[key]


def main():
    for i in range(1000):
        handle("req%d" % (i % 10))
    print("served 1000 requests, cache holds %d entries" % len(_cache))


if __name__ == "__main__":
    main()
