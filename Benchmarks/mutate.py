"""Input mutators for the torture suite's fuzz drivers: byte-level and JSON-structural."""
import json
import random

INTERESTING = [None, True, False, 0, -1, 1.5, 1e308, -1e308, 2 ** 63, -(2 ** 63) - 1, 10 ** 40, "", " ",
               "\u0000", "\ud7ff\ue000", "é😀", "x" * 5000, [], {}, [[[[[]]]]], {"a": {"b": {}}}, "1795321151953",
               "Bearer", "acct_x", "<script>", "%s%n%x", "\\", "\"", "\n"]
NUMBER_TEXTS = [b"1e999", b"-0", b"0.0000000000000000001", b"123456789012345678901234567890", b"1E+2", b"-1.5e-7",
                b"01", b"1.", b".5", b"+1", b"NaN", b"Infinity", b"0x10"]


def random_value(rng, depth=0):
    choice = rng.random()
    if depth > 3 or choice < 0.6:
        return rng.choice(INTERESTING)
    if choice < 0.8:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["access_token", "refresh_token", "expiry_date", "token", "accounts", "id", "version",
                        "activeAccountId", "k", "messages", "role", "content", "type"]): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def mutate_structure(value, rng):
    """One JSON-level change: replace, delete, add, retype or duplicate a member somewhere."""
    value = json.loads(json.dumps(value))
    paths = list(_paths(value))
    path = rng.choice(paths)
    if not path:
        return random_value(rng) if rng.random() < 0.1 else value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    action = rng.randrange(5)
    if action == 0:
        parent[key] = random_value(rng)
    elif action == 1:
        del parent[key]
    elif action == 2 and isinstance(parent, dict):
        parent[rng.choice(["extra", "x-" + str(rng.randrange(99)), key + "_"])] = random_value(rng)
    elif action == 3:
        current = parent[key]
        parent[key] = str(current) if not isinstance(current, str) else (len(current) if rng.random() < 0.5 else None)
    else:
        parent[key] = [parent[key]] if rng.random() < 0.5 else {"v": parent[key]}
    return value


def mutate_bytes(data, rng):
    """A few byte-level mutations: flips, inserts, deletions, truncation, splices, odd numbers."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not data:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            continue
        action = rng.randrange(8)
        position = rng.randrange(len(data))
        if action == 0:
            data[position] ^= 1 << rng.randrange(8)
        elif action == 1:
            data.insert(position, rng.choice(b'{}[]",:\\\x00\xff\xc3\xed\xa0\x80 0123456789truefalsenull'))
        elif action == 2:
            del data[position: position + rng.randint(1, 8)]
        elif action == 3:
            del data[position:]
        elif action == 4:
            end = min(len(data), position + rng.randint(1, 32))
            data[position:position] = data[position:end] * rng.randint(1, 3)
        elif action == 5:
            data[position:position] = rng.choice(NUMBER_TEXTS)
        elif action == 6:
            data[position:position] = b"[" * rng.randint(100, 2000)
        else:
            data[position] = rng.randrange(256)
    return bytes(data)


def mutate(seed_value, rng):
    """Either a structural change (serialized), a byte-level one, or both."""
    choice = rng.random()
    if choice < 0.45:
        return json.dumps(mutate_structure(seed_value, rng), indent=rng.choice([None, 2])).encode()
    text = json.dumps(seed_value, indent=2).encode()
    if choice < 0.9:
        return mutate_bytes(text, rng)
    return mutate_bytes(json.dumps(mutate_structure(seed_value, rng)).encode(), rng)
