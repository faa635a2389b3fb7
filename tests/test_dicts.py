"""Dicts: displays, comprehensions, items, methods and printing as Python has
them (PyTorch's printouts of programs using them are pinned by
conformance_extra/dict_*); here the plain-value programs against Python
itself, and what the record, the limits and the errors make of dicts."""

import pytest

from gradviz.errors import KEY, LIMIT, RUNTIME, TYPE, GradvizError
from gradviz.render.torchfmt import format_value
from gradviz.tape import Limits
from programs import assert_python_s_error, python_prints, run

# programs of plain values: gradviz prints what Python prints
PLAIN = [
    "d = {'a': 1, 'b': [2, 3]}\nprint(d, len(d), list(d), d['b'][1])",
    "print({}, {1: {}}, {(1, 2): None, 2.5: 'x', True: 'y'})",
    "d = {1: 'a', 1.0: 'b', True: 'c'}\nprint(d)",                  # one key, as in Python
    "d = {'x': 1}\nd['y'] = 2\nd['x'] = 3\nprint(d, list(d.items()))",  # insertion order
    "d = {k: k * k for k in range(5) if k % 2}\nprint(d)",
    "print({a: b for a in range(3) for b in range(a)})",
    "k = 'kept'\nd = {k: 1 for k in ['a', 'b']}\nprint(k, d)",
    "d = {'n': 0}\nfor i in range(3):\n    d['n'] += i\nprint(d)",
    "d = {'l': []}\nd['l'].append(1)\nd['l'] += [2]\nd['l'] *= 2\nprint(d)",
    "d = {'a': 1}\nprint(d.get('a'), d.get('b'), d.get('b', 0), d.setdefault('c', 5), d)",
    "d = {'a': 1, 'b': 2}\nprint(d.pop('a'), d.pop('z', None), d.popitem(), d)",
    "d = {'a': 1}\nd.update({'b': 2}, c=3)\nd.update([('d', 4)])\nd.update(zip(['e', 'f'], [5, 6]))\nprint(d)",
    "d = dict(a=1)\ne = dict(d, b=2)\nf = dict([(1, 2)])\nprint(d, e, f, dict(), dict(d) is d)",
    "d = {'b': 2, 'a': 1}\nprint(sorted(d), sorted(d.items()), sorted(d, key=d.get), list(reversed(list(d))))",
    "d = {'a': 1}\nks = d.keys()\nvs = d.values()\nd['b'] = 2\nprint(ks, vs, d.items(), len(ks))",
    "d = {'a': 1}\nprint('a' in d, 'z' not in d, 1 in d.values(), ('a', 1) in d.items(), 'a' in d.keys())",
    "print({1: 2} == {1: 2}, {1: 2} != {1: 3}, {1: [1]} == {1: [1]}, {1: 2} == [1], {'a': 1} | {'a': 2, 'b': 3})",
    "print(bool({}), bool({0: 0}), not {}, {} or 'empty', type({}), isinstance({}, dict))",
    "d = {'a': 1, 'b': 2}\nfor i, k in enumerate(d):\n    print(i, k)\nfor k, v in d.items():\n    print(k, v)\na, b = d\nprint(a, b)",
    "d = {'a': 1, 'b': 2}\nc = d.copy()\nc['z'] = 0\nd.clear()\nprint(c, d)",
    "d = {'a': 'x', 'b': \"it's\"}\nprint(str(d), repr(d), f'{d}', f'{d!r}', '{}'.format(d))",
    "d = {'lr': 0.5, 'n': 3}\nprint('%(lr).2f/%(n)d' % d, '%s' % d, f\"{d['lr']:.3f}\")",
    "d = {'a': 1}\nxs = [1]\nxs.extend(d)\nprint(xs, ', '.join(d), tuple(d.values()), any(d), all({'a': 0}.values()))",
    "t = {}\nt[1, 2] = 'pair'\nt[(3,)] = 'one'\nprint(t, t[1, 2], t[3,])",
    "d = {'a': 1, 'b': 2}\ndel d['a']\nprint(d)",
    "d = {'a': 1, 'b': 2}\nfor k in list(d):\n    del d[k]\nprint(d)",
    "d = {}\nd.setdefault('xs', []).append(1)\nd.setdefault('xs', []).append(2)\nprint(d)",
    "print({'a': 1}.keys(), {}.values(), {1: (2,)}.items())",
    "d = dict.fromkeys('aba')\ne = dict.fromkeys(range(3), [])\ne[0].append(1)\nprint(d, e)",
    "print(dict.fromkeys([], 1), dict.fromkeys((2, 1, 2), 'x'), dict.fromkeys({'k': 0}))",
    "d = {'a': 1, 'b': 2, 'c': 3}\nprint(list(reversed(d)), list(reversed(d.values())))\n"
    "for k, v in reversed(d.items()):\n    print(k, v)\nprint(list(reversed(d.keys())))",
    "d = {'a': 1}\ne = d\nd |= {'b': 2}\nd |= [('a', 0), ('c', 3)]\nprint(d, e is d, e)",
]


@pytest.mark.parametrize("src", PLAIN, ids=[s.split("\n")[0][:30] for s in PLAIN])
def test_plain_dict_programs_print_what_python_prints(src):
    _, out = run(src + "\n")
    assert out == python_prints(src)


# ---- errors --------------------------------------------------------------------

@pytest.mark.parametrize("src, kind, message, line", [
    ("d = {'w': 1}\nprint(d['x'])", KEY, "'x'", 2),
    ("d = {(1, 2): 1}\nd[1, 3]", KEY, "(1, 3)", 2),
    ("d = {}\nd[[1]] = 2", TYPE, "unhashable type: 'list'", 2),
    ("d = {(1, [2]): 3}", TYPE, "unhashable type: 'list'", 1),
    ("d = {{}: 1}", TYPE, "unhashable type: 'dict'", 1),
    ("d = {}\nprint([1] in d)", TYPE, "unhashable type: 'list'", 2),
    ("d = {}\nprint(d[1:2])", TYPE, "unhashable type: 'slice'", 2),
    ("d = {'a': 1}\ndel d['b']", KEY, "'b'", 2),
    ("d = {'a': 1}\nd['b'] += 1", KEY, "'b'", 2),
    ("d = {}\nd.pop('a')", KEY, "'a'", 2),
    ("d = {}\nd.popitem()", KEY, "'popitem(): dictionary is empty'", 2),
    ("d = {'a': 1}\nfor k in d:\n    d['b'] = 2", RUNTIME,
     "dictionary changed size during iteration", 2),
    ("d = {'a': 1, 'b': 2}\nx = [k for k in d if d.pop('b', 0) or True]", RUNTIME,
     "dictionary changed size during iteration", 2),
    ("d = {'a': 1}\nd.get()", TYPE, "get expected at least 1 argument, got 0", 2),
    ("d = {'a': 1}\nd.get(1, 2, 3)", TYPE, "get expected at most 2 arguments, got 3", 2),
    ("d = {'a': 1}\nd.keys(1)", TYPE, "dict.keys() takes no arguments (1 given)", 2),
    ("d = {'a': 1}\nd.get(k=1)", TYPE, "dict.get() takes no keyword arguments", 2),
    ("d = dict(1, 2)", TYPE, "dict expected at most 1 argument, got 2", 1),
    ("d = dict(3)", TYPE, "'int' object is not iterable", 1),
    ("d = dict([1])", TYPE, "cannot convert dictionary update sequence element #0 to a sequence",
     1),
    ("d = dict([(1, 2, 3)])", "ValueError",
     "dictionary update sequence element #0 has length 3; 2 is required", 1),
    ("d = {'a': 1}\nprint(d < d)", TYPE, "'<' not supported between instances of 'dict' and "
     "'dict'", 2),
    ("d = {'a': 1}\nprint(d + d)", TYPE, "unsupported operand type(s) for +: 'dict' and 'dict'", 2),
    ("d = {'a': 1}\nprint(d.a)", "AttributeError", "'dict' object has no attribute 'a'", 2),
    ("d = {'a': 1}\nprint(d[0])", KEY, "0", 2),
])
def test_errors_are_python_s(src, kind, message, line):
    assert_python_s_error(src, kind, message, line)


def test_a_key_error_s_hint_names_the_keys_and_a_close_one():
    with pytest.raises(GradvizError) as info:
        run("params = {'weight': 1, 'bias': 2}\nprint(params['weigth'])\n")
    assert info.value.hint.startswith("did you mean 'weight'? ")
    assert "the dict's keys are 'weight', 'bias'" in info.value.hint
    with pytest.raises(GradvizError) as info:
        run("d = {i: i for i in range(20)}\nd[20]\n")
    assert "the dict's keys are 0, 1, 2, 3, 4, 5, 6, 7, ..." in info.value.hint
    with pytest.raises(GradvizError) as info:
        run("x = ones(2)\nd = {x: 1}\nd[ones(2)]\n")
    assert info.value.message == "tensor([1., 1.])" and "by identity" in info.value.hint


def test_a_program_catches_a_key_error_as_python_shows_it():
    _, out = run("d = {}\ntry:\n    d['w']\nexcept LookupError as e:\n    print(e, repr(e))\n"
                 "try:\n    raise KeyError('b')\nexcept KeyError as e:\n    print(e, repr(e))\n")
    assert out == "'w' KeyError('w')\n'b' KeyError('b')\n"


# ---- tensors in dicts ------------------------------------------------------------

def test_a_tensor_held_only_by_a_dict_is_named_by_its_key():
    rec, _ = run("x = ones(2, requires_grad=True)\n"
                 "params = {'w': ones(2, requires_grad=True), 'x': x, 0: zeros(1)}\n"
                 "params['b'] = zeros(1, requires_grad=True)\n"
                 "grads = {n: p * 2 for n, p in params.items()}\n"
                 "xs = [ones(3)]\n")
    names = [n.name for n in rec.nodes]
    assert names[:4] == ["x", "params['w']", "params[0]", "params['b']"]
    assert "grads['w']" in names and "grads['x']" in names
    assert names[-1] is None                  # a list's tensor keeps its expression
    assert set(rec.variables) == {"x"}        # the record's variables: names only


def test_an_in_place_write_is_seen_through_every_dict_that_holds_the_tensor():
    _, out = run("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\n"
                 "d = {'y': y}\ne = {'again': y}\ny += 1\nd['y'] *= 2\n"
                 "print(d['y'] is y, e['again'] is y, e['again'])\n"
                 "e['again'].sum().backward()\nprint(x.grad)\n")
    assert out == ("True True tensor([ 6., 10.], grad_fn=<MulBackward0>)\n"
                   "tensor([4., 4.])\n")


def test_dict_values_are_equal_as_python_compares_them():
    _, out = run("a = tensor([1.0])\nb = tensor([1.0])\nc = tensor([1.0, 2.0])\n"
                 "print({'t': a} == {'t': b}, {'t': a} == {'t': a}, {'t': a} != {'t': a * 2})\n")
    assert out == "True True True\n"
    with pytest.raises(GradvizError) as info:     # two values: ambiguous, as PyTorch says
        run("c = tensor([1.0, 2.0])\nprint({'t': c} == {'t': c * 1})\n")
    assert info.value.kind == RUNTIME and "ambiguous" in info.value.message


# ---- limits ------------------------------------------------------------------

@pytest.mark.parametrize("src", [
    "d = {}\nfor i in range(100):\n    d[i] = 0\n",
    "d = {i: 0 for i in range(100)}\n",
    "d = dict(zip(range(100), range(100)))\n",
    "d = {}\nfor i in range(100):\n    d.setdefault(i, 0)\n",
    "ds = []\nfor i in range(10):\n    ds.append({j: 0 for j in range(10)})\n",
    "d = {i: 0 for i in range(40)}\nfor i in range(3):\n    e = d | {-1: 0}\n",
])
def test_filling_dicts_stops_at_the_run_s_item_limit(src):
    with pytest.raises(GradvizError) as info:
        run(src, limits=Limits(max_elements=90))
    assert info.value.kind == LIMIT
    assert "dict" in info.value.message


def test_writing_a_key_again_counts_nothing():
    run("d = {'a': 0}\nfor i in range(200):\n    d['a'] = i\n    d['a'] += 1\n",
        limits=Limits(max_elements=90))


# ---- printing ------------------------------------------------------------------

def test_format_value_writes_python_s_dict_repr_with_tensors_by_their_text():
    tensor = object()
    shown = format_value({"w": tensor, "s": "it's", 1: [None, (2,)], "d": {}},
                         lambda v: "tensor([1., 2.])")
    assert shown == "{'w': tensor([1., 2.]), 's': \"it's\", 1: [None, (2,)], 'd': {}}"
    d = {"a": 1}
    assert format_value([d.keys(), d.values(), d.items()]) == \
        "[dict_keys(['a']), dict_values([1]), dict_items([('a', 1)])]"
