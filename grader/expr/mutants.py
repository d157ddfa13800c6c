"""Wrong answers made from the right one by general rules, so a wrong expression can be diagnosed
without the author listing every mistake: σ′ ↔ σ, σ′ taken at another step, a doubly indexed
symbol's indices swapped, a sum cut to one term or given other bounds, a factor dropped, a
transpose added or dropped, one product for another, one declared symbol for another of the same
shape, an extra factor ×T or /T, the sign flipped; and pairs of these.

Each :class:`Mutant` carries the words of the rule that made it. The kinds evaluate mutants at the
test points and name the one that agrees with the student everywhere (see ``kinds/expression.py``).
Rules act on the tree alone, never on a spec's names, so they diagnose a dense layer's δ xᵀ as
well as BPTT.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose, replace
from .render import render
from .symbols import Namespace
from .trees import children, is_node, rebuild, replace_at, strip, substitute

DERIVATIVES = {"sigma": "σ", "tanh": "tanh"}
PRODUCTS = {"@": "a matrix (or outer) product", "*": "an element-wise product (⊙)"}
MAX_SINGLES = 200
MAX_PAIRS = 400  # pairs evaluated at the test points: a deterministic bound on the search by value


@dataclass(frozen=True)
class Mutant:
    tree: Node
    rule: str  # a short code: sigma-for-prime, index-swap, sum-term...
    said: str  # the rule's words, about the student's answer
    about: Node | None = None  # the node of the right expression it changed (g_{t,i}), for a word on its meaning


def key(tree: Node) -> Node:
    """A tree's structure, as written (columns left out): equal keys are the same expression, written alike."""
    return strip(tree)


def names(tree: Node, memo: dict | None = None) -> set[str]:
    """The symbols a tree uses (sequences by name: h for h_{i-1}); a sum's own variable is not one. ``memo``:
    as :func:`singles`'s, where each subtree's names are kept (a mutant shares most of its reference's)."""
    return set(_names(tree, {} if memo is None else memo)[0])


def _names(node: Node, memo: dict) -> tuple[frozenset, frozenset]:
    """(the names ``node`` uses, a sum's variable left out; every name written in it, that one too)."""
    key = ("names", node)
    found = memo.get(key)
    if found is None:
        free = every = frozenset((node.name,)) if isinstance(node, (Sym, Index)) else frozenset()
        for field, child in children(node):
            inner, written = _names(child, memo)
            free |= inner - {node.var} if field == "body" and isinstance(node, Sum) else inner
            every |= written
        found = memo[key] = (free, every)
    return found


def singles(tree: Node, ns: Namespace, memo: dict | None = None) -> list[Mutant]:
    """One rule applied once, at one place of ``tree``; duplicates (same tree) kept once. ``memo`` keeps each
    subtree's rewrites across calls on trees that share subtrees (a reference's mutants share most of it)."""
    return list(_made(tree, ns, memo))


def _made(tree: Node, ns: Namespace, memo: dict | None, stripped: bool = False,
          whole_last: bool = False) -> Iterator[Mutant]:
    """:func:`singles`, one at a time: the rules on the whole answer, then each place's rewrites in walk order,
    at most :data:`MAX_SINGLES`. ``stripped``: the tree has no columns already (a mutant's). ``whole_last``: the
    sign and the extra factors come last, made only if asked for (a pair's second rules, where they sort last and
    most singles never reach them); counted where they stand, so the same rewrites come before the bound. No
    rewrite of a place gives the whole answer under a sign or a factor, so no duplicate changes what is kept."""
    tree = tree if stripped else strip(tree)
    seen = {tree}
    count = 0
    if whole_last:
        top: Iterator[Mutant] = _exchanges(tree, ns, {} if memo is None else memo)
        count += 1 + 2 * len(_factor_names(ns))
    else:
        top = _top_level(tree, ns, {} if memo is None else memo)
    for mutant in top:
        if mutant.tree not in seen:
            seen.add(mutant.tree)
            count += 1
            yield mutant
    yield from _rewritten(tree, ns, memo, seen, count)
    if whole_last:
        for mutant in _whole_rules(tree, ns):
            if mutant.tree not in seen:
                seen.add(mutant.tree)
                yield mutant


def _rewritten(tree: Node, ns: Namespace, memo: dict | None, seen: set, count: int) -> Iterator[Mutant]:
    """Each place's rewrites in walk order, new trees only, until ``count`` reaches :data:`MAX_SINGLES`."""
    for path, node, bound in _walk(tree, ()):
        for new, rule, said in _rewrites_of(node, ns, bound, memo):
            mutated = replace_at(tree, path, new)
            if mutated not in seen:
                seen.add(mutated)
                count += 1
                yield Mutant(mutated, rule, said, node)
            if count >= MAX_SINGLES:
                return


def _rewrites_of(node: Node, ns: Namespace, bound: tuple[str, ...], memo: dict | None) -> list | Iterator:
    if memo is None:
        return _rewrites(node, ns, bound)
    rewrites = memo.get((node, bound))
    if rewrites is None:
        rewrites = memo[(node, bound)] = list(_rewrites(node, ns, bound))
    return rewrites


class _Second:
    """The second rules of one single ``a``: singles(a.tree) without a's own rule, in the order
    ``sorted(..., key=_whole)`` gives (changes inside the tree, then the whole-answer ones), made only as far as
    they are asked for: the round-robin reaches each single's first few, of a hundred or more."""

    def __init__(self, a: Mutant, ns: Namespace, memo: dict):
        self.made = _made(a.tree, ns, memo, stripped=True, whole_last=True)
        self.skip = a.rule
        self.items: list[Mutant] = []
        self.whole: list[Mutant] = []
        self.done = False

    def get(self, depth: int) -> Mutant | None:
        while len(self.items) <= depth and not self.done:
            b = next(self.made, None)
            if b is None:
                self.done = True
                self.items += self.whole
            elif b.rule != self.skip:
                (self.whole if _whole(b) else self.items).append(b)
        return self.items[depth] if depth < len(self.items) else None

    def all(self) -> list[Mutant]:
        self.get(1 << 30)
        return self.items


def pairs(first: list[Mutant], ns: Namespace, memo: dict | None = None) -> Iterator[Mutant]:
    """Two rules: each single mutant mutated once more by a rule of another kind. Round-robin over the singles,
    changes inside the tree before whole-answer ones (the sign, ×T), so the first :data:`MAX_PAIRS`, the ones
    evaluated, spread over every single; made as they are taken (all of them are a few thousand trees)."""
    memo = {} if memo is None else memo
    lists = [(a, _Second(a, ns, memo)) for a in sorted(first, key=_whole)]
    seen: set = set()
    depth = 0
    while True:
        reached = False
        for a, second in lists:
            b = second.get(depth)
            if b is None:
                continue
            reached = True
            if b.tree in seen:
                continue
            seen.add(b.tree)
            yield _pair(a, b)
        if not reached:
            return
        depth += 1


def _pair(a: Mutant, b: Mutant) -> Mutant:
    return Mutant(b.tree, "+".join(sorted((a.rule, b.rule))), f"{a.said} Also, {b.said[0].lower()}{b.said[1:]}",
                  a.about if a.about is not None else b.about)


def pair_written_as(first: list[Mutant], ns: Namespace, target: Node, memo: dict | None = None) -> Mutant | None:
    """The two-rule mutant :func:`pairs` would give first for the tree ``target``, without making them all: only
    the singles one rule away from ``target`` (checked at the places that can explain every difference) have
    their second rules made, to find where in the round-robin ``target`` comes."""
    memo = {} if memo is None else memo
    target = strip(target)
    used = names(target)
    best = None
    for order, a in enumerate(sorted(first, key=_whole)):
        if not _one_rule_apart(a.tree, target, used, ns, memo):
            continue
        for depth, b in enumerate(_Second(a, ns, memo).all()):
            if b.tree == target:
                if best is None or (depth, order) < best[0]:
                    best = ((depth, order), a, b)
                break
    return None if best is None else _pair(best[1], best[2])


def _one_rule_apart(tree: Node, target: Node, used: set[str], ns: Namespace, memo: dict) -> bool:
    """Could one rule at one place of ``tree`` (a mutant: no columns) give ``target`` (which uses the symbols
    ``used``)? A rewrite changes only the subtree where it applies, so only the places above every difference
    need trying; the whole-answer rules put the tree under a sign or a factor, or keep the symbols it uses."""
    if tree == target:
        return False
    if _top_level_gives(tree, target, used, ns, memo):
        return True
    where = _differences(tree, target)
    node, bound = tree, ()
    for depth in range(len(where) + 1):  # the places above every difference, from the root down
        for new, _, _ in _rewrites_of(node, ns, bound, memo):
            if replace_at(tree, where[:depth], new) == target:
                return True
        if depth < len(where):
            step = where[depth]
            if isinstance(node, Sum) and step == "body":
                bound = bound + (node.var,)
            node = getattr(node, step[0])[step[1]] if isinstance(step, tuple) else getattr(node, step)
    return False


def _top_level_gives(tree: Node, target: Node, used: set[str], ns: Namespace, memo: dict) -> bool:
    """Does a rule on the whole of ``tree`` give ``target``? :func:`_top_level`'s mutants, each looked for without
    making the others: the sign and a factor by the shape of ``target``, the exchanges only where they can keep
    the symbols ``target`` uses (always, unless a sum's variable is one of them)."""
    if isinstance(target, Neg) and target.operand == tree:
        return True
    if isinstance(target, Bin) and target.op in ("@", "/"):
        factor, rest = (target.left, target.right) if target.op == "@" else (target.right, target.left)
        if rest == tree and isinstance(factor, Sym) and factor == Sym(factor.name) \
                and factor.name in _integer_names(ns) | _plain_scalars(ns):
            return True
    if names(tree, memo) != used and not (isinstance(target, (Neg, Bin)) and _has_sum(tree)):
        return False
    return any(m.tree == target for m in _exchanges(tree, ns, memo))


def _differences(a: Node, b: Node) -> tuple:
    """The path (as :func:`children` names steps) to the smallest subtree of ``a`` holding every place where it
    differs from ``b``."""
    path: tuple = ()
    while type(a) is type(b):
        if any(not is_node(getattr(a, n)) and not isinstance(getattr(a, n), tuple) and getattr(a, n) != getattr(b, n)
               for n in a._fields):
            break
        mine, theirs = children(a), children(b)
        if [f for f, _ in mine] != [f for f, _ in theirs]:
            break
        differ = [(f, x, y) for (f, x), (_, y) in zip(mine, theirs) if x != y]
        if len(differ) != 1:
            break
        step, a, b = differ[0]
        path += (step,)
    return path


def _whole(mutant: Mutant) -> bool:
    """Rules on the whole answer sort last (False before True)."""
    return mutant.rule in ("sign", "extra-factor")


# --- the rules ------------------------------------------------------------------------------------

def _top_level(tree: Node, ns: Namespace, memo: dict) -> Iterator[Mutant]:
    """Rules on the whole answer: the sign, two symbols exchanged everywhere, and an extra factor that is a
    declared whole number (T, t)."""
    whole = _whole_rules(tree, ns)
    yield next(whole)
    yield from _exchanges(tree, ns, memo)
    yield from whole


def _exchanges(tree: Node, ns: Namespace, memo: dict) -> Iterator[Mutant]:
    used = sorted(n for n in names(tree, memo) if n in ns.symbols and not ns.symbols[n].integer)
    for k, a in enumerate(used):
        for b in used[k + 1:]:
            sa, sb = ns.symbols[a], ns.symbols[b]
            if sa.shape == sb.shape and len(sa.index) == len(sb.index):
                yield Mutant(_exchanged(tree, a, b, memo), "exchange", f"{a} and {b} are exchanged: each stands where "
                                                                  "the other belongs.")


def _factor_names(ns: Namespace) -> list[str]:
    return sorted(_integer_names(ns) | _plain_scalars(ns))


def _whole_rules(tree: Node, ns: Namespace) -> Iterator[Mutant]:
    """The sign, then an extra factor ×n and /n for each of :func:`_factor_names`: the rules :func:`_whole` names."""
    yield Mutant(Neg(tree), "sign", "The sign is flipped.")
    for name in _factor_names(ns):
        symbol = Sym(name)
        yield Mutant(Bin("@", symbol, tree), "extra-factor", f"You multiplied by {name}: the right expression has "
                                                             f"no factor {name}.")
        yield Mutant(Bin("/", tree, symbol), "extra-factor", f"You divided by {name} (a factor 1/{name}): the right "
                                                             f"expression is not divided by {name}.")


def _rewrites(node: Node, ns: Namespace, bound: tuple[str, ...]) -> Iterator[tuple[Node, str, str]]:
    if isinstance(node, Call) and node.fn in DERIVATIVES:
        name = DERIVATIVES[node.fn]
        if node.order == 1:
            yield (replace(node, order=0), "sigma-for-prime",
                   f"{name} is used where its derivative {name}′ belongs: the chain rule through {name} multiplies "
                   f"by {name}′ of its input.")
            yield from _other_steps(node, ns, bound)
        elif node.order == 0:
            yield (replace(node, order=1), "sigma-for-prime",
                   f"{name}′ is used where {name} itself belongs.")
        if node.order == 1:
            yield from _written_out(node)
        for other, shown in DERIVATIVES.items():
            if other != node.fn:
                yield (replace(node, fn=other), "activation",
                       f"{shown}{'′' * node.order} is used where the network's activation is {name}: "
                       f"{name}{'′' * node.order} belongs here.")
    if isinstance(node, Index) and len(node.indices) == 2:
        swapped = Index(node.name, (node.indices[1], node.indices[0]))
        yield (swapped, "index-swap", f"The two indices of {node.name} are swapped: the right expression has "
                                      f"{render(node)}, not {render(swapped)}.")
    if isinstance(node, Sum):
        yield from _sum_rewrites(node, ns)
    if isinstance(node, Bin) and node.op in ("@", "*"):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if _has_symbol(dropped):  # a constant dropped is the scale diagnosis's: naming it would hand it over
                yield kept, "drop-factor", f"A factor is missing: {render(dropped)}."
        other = "*" if node.op == "@" else "@"
        new = Bin(other, node.left, node.right)
        yield (new, "product-kind", f"{render(new)} is {PRODUCTS[other]} where {PRODUCTS[node.op]} belongs.")
        if node.op == "@" and not isinstance(node.right, Transpose):
            yield (Bin("@", node.left, Transpose(node.right)), "product-kind",
                   f"{render(node)} is a plain product, not an outer product with {render(node.right)}ᵀ.")
        if node.op == "*":  # an outer product, either way round, where ⊙ belongs
            for a, b in ((node.left, node.right), (node.right, node.left)):
                outer = Bin("@", a, Transpose(b))
                yield (outer, "product-kind", f"{render(outer)} is an outer product (a matrix) where an element-wise "
                                              "product (⊙, a vector) belongs.")
    if isinstance(node, Transpose):
        yield node.operand, "transpose", f"A transpose is missing: {render(node)}."
    elif isinstance(node, (Index, Sym)) and _shape(node, ns) not in ((), None):
        yield Transpose(node), "transpose", f"{render(node)} needs no transpose here."
    if isinstance(node, (Index, Sym)):
        yield from _other_symbols(node, ns)
    if isinstance(node, Index):
        for k, index in enumerate(node.indices):
            for moved in _steps(Index(node.name, (index,)), ns, bound):
                new = Index(node.name, node.indices[:k] + moved.indices + node.indices[k + 1:])
                yield new, "index-step", f"{render(new)} is used where the right expression has {render(node)}."


def _written_out(node: Call) -> Iterator[tuple[Node, str, str]]:
    """σ′ and tanh′ written out in the activation's own output, wrongly: the other one's formula (1 − h² for
    a sigmoid, h(1 − h) for tanh), or tanh′ with its square misplaced, (1 − h)². Where the test points
    are a solver's networks (h = σ(z)), a student's 1 − h_t² agrees with the mutant 1 − σ(z_t)²."""
    u = node.args[0] if len(node.args) == 1 else None
    if u is None:
        return
    act = replace(node, order=0)
    one = Num(1.0)
    square = Bin("*", act, act)  # element-wise: h ⊙ h for a vector
    if node.fn == "sigma":
        yield (Bin("-", one, square), "activation-form",
               f"1 − σ({render(u)})² is tanh′ written in its output, but the activation here is the sigmoid: "
               f"σ′(z) = σ(z)(1 − σ(z)), that is h(1 − h).")
    elif node.fn == "tanh":
        yield (Bin("*", act, Bin("-", one, act)), "activation-form",
               f"tanh({render(u)})(1 − tanh({render(u)})) is the sigmoid's σ′ written in its output, but the "
               "activation here is tanh: tanh′(z) = 1 − tanh(z)², that is 1 − h².")
        gap = Bin("-", one, act)
        yield (Bin("*", gap, gap), "activation-form",
               "The square is misplaced: tanh′(z) = 1 − tanh(z)², not (1 − tanh(z))².")


def _other_steps(node: Call, ns: Namespace, bound: tuple[str, ...]) -> Iterator[tuple[Node, str, str]]:
    """σ′(z_i) taken at another step: z_t, z_T, z_{i-1}, z_{i+1}."""
    arg = node.args[0] if len(node.args) == 1 else None
    if not (isinstance(arg, Index) and len(arg.indices) == 1):
        return
    name = DERIVATIVES[node.fn]
    for moved in _steps(arg, ns, bound):
        yield (replace(node, args=(moved,)), "sigma-prime-step",
               f"{name}′ is taken at the wrong step: {render(moved)} where the right expression has {render(arg)}.")


def _steps(node: Index, ns: Namespace, bound: tuple[str, ...]) -> Iterator[Index]:
    """``node`` (one index) at another step: each step variable in scope, and one before or after it."""
    here = node.indices[0]
    names = list(dict.fromkeys(list(bound) + sorted(_integer_names(ns))))
    steps = [Sym(n) for n in names] + [Bin(op, Sym(v), Num(1.0)) for v in names for op in ("-", "+")]
    for step in steps:
        if _key(step) != _key(here):
            yield Index(node.name, (step,))


def _sum_rewrites(node: Sum, ns: Namespace) -> Iterator[tuple[Node, str, str]]:
    v = node.var
    if node.product:
        yield (replace(node, product=False), "sum-product",
               f"The terms for {v} = {render(node.lo)}..{render(node.hi)} are added (Σ) where they should be "
               "multiplied (∏).")
    else:  # a product of matrices would not be a number: the shapes rule it out before any value is compared
        yield (replace(node, product=True), "sum-product",
               f"The terms for {v} = {render(node.lo)}..{render(node.hi)} are multiplied (∏) where they should be "
               "added: the right expression is a sum.")
    yield (substitute(node.body, v, node.hi), "sum-term",
           f"Only the last term ({v} = {render(node.hi)}) of the sum over {v} is there: the terms with {v} < "
           f"{render(node.hi)} are missing; sum the terms for {v} = {render(node.lo)}..{render(node.hi)}.")
    yield (substitute(node.body, v, node.lo), "sum-term",
           f"Only the first term ({v} = {render(node.lo)}) of the sum over {v} is there: the terms with {v} > "
           f"{render(node.lo)} are missing.")
    los = [Num(0.0) if _is(node.lo, 1) else Num(1.0) if _is(node.lo, 0) else None,
           Bin("+", node.lo, Num(1.0))]
    for lo in filter(None, los):
        yield (replace(node, lo=lo), "sum-bounds",
               f"The sum over {v} has the wrong lower bound: its first term is {v} = {render(node.lo)}."
               + _undefined(node, lo, ns))
    his = [Bin("-", node.hi, Num(1.0)), Bin("+", node.hi, Num(1.0))]
    if isinstance(node.hi, Sym):
        his += [Sym(n) for n in sorted(_integer_names(ns)) if n != node.hi.name]
    for hi in his:
        last = render(substitute(node.body, v, node.hi))
        missing = f" The term {last} is missing." if _is_one_less(hi, node.hi) and len(last) <= 24 else ""
        yield (replace(node, hi=hi), "sum-bounds",
               f"The sum over {v} has the wrong upper bound: its last term is {v} = {render(node.hi)}.{missing}")


def _undefined(node: Sum, lo: Node, ns: Namespace) -> str:
    """Why a sum started too early is wrong: its first term uses a step that does not exist (z_0, G_0)."""
    start = _constant(lo)
    if start is None:
        return ""
    outside = []
    for _, child, _ in _walk(substitute(node.body, node.var, Num(start)), ()):
        symbol = ns.symbols.get(getattr(child, "name", ""))
        if isinstance(child, Index) and symbol is not None and len(symbol.index) == len(child.indices):
            values = [_constant(index) for index in child.indices]
            if any(v is not None and v < first for v, (first, _) in zip(values, symbol.index)):
                folded = tuple(index if v is None else Num(v) for index, v in zip(child.indices, values))
                outside.append(render(Index(child.name, folded)))
    if not outside:
        return ""
    named = list(dict.fromkeys(outside))
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return (f" Its {node.var} = {start:g} term would need {listed}, which "
            f"{'does' if len(named) == 1 else 'do'} not exist.")


def _constant(node: Node) -> float | None:
    """A whole-number index written with numbers, + and - (0, i-1 with i = 0): its value; else None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, Bin) and node.op in "+-":
        a, b = _constant(node.left), _constant(node.right)
        return None if a is None or b is None else a + b if node.op == "+" else a - b
    return None


def _is_one_less(new: Node, old: Node) -> bool:
    return isinstance(new, Bin) and new.op == "-" and _is(new.right, 1) and new.left == old


def _other_symbols(node: Index | Sym, ns: Namespace) -> Iterator[tuple[Node, str, str]]:
    """One declared symbol for another of the same shape and the same number of indices; a sequence for one of
    the same rank (the input x_i where the state h_{i-1} belongs: a step apart, and their sizes may differ)."""
    here = ns.symbols.get(node.name)
    if here is None:
        return
    for name, symbol in sorted(ns.symbols.items()):
        if name == node.name or symbol.integer or here.integer:
            continue
        same = symbol.shape == here.shape
        if len(symbol.index) == len(here.index) and (same or (symbol.index and len(symbol.shape) == len(here.shape))):
            news = [replace(node, name=name)]
            if isinstance(node, Index) and len(node.indices) == 1 and _is_step_off(node.indices[0]):
                news.append(Index(name, (node.indices[0].left,)))
        elif not symbol.index and same:  # a plain symbol for a step of a sequence: W_hh where h_{t-1} belongs
            news = [Sym(name)]
        else:
            continue
        for new in news:
            yield new, "symbol-swap", f"{render(new)} is used where the right expression has {render(node)}."


def _is_step_off(index: Node) -> bool:
    """i - 1 or i + 1."""
    return isinstance(index, Bin) and index.op in "+-" and _is(index.right, 1)


# --- tree plumbing --------------------------------------------------------------------------------

def _exchanged(node: Node, a: str, b: str, memo: dict) -> Node:
    """``node`` with every ``a`` written as ``b`` and the reverse; a subtree that has neither kept as it is."""
    every = _names(node, memo)[1]
    if a not in every and b not in every:
        return node
    if isinstance(node, (Sym, Index)) and node.name in (a, b):
        node = replace(node, name=b if node.name == a else a)
    return rebuild(node, lambda child: _exchanged(child, a, b, memo))


def _integer_names(ns: Namespace) -> set[str]:
    """Whole-number scalars a student might multiply or divide by, or put in a bound: T, t."""
    names = {n for n, s in ns.symbols.items() if s.integer and s.shape == () and not s.is_sequence}
    return names | set(ns.dims)


def _has_sum(node: Node) -> bool:
    return isinstance(node, Sum) or any(_has_sum(child) for _, child in children(node))


def _has_symbol(node: Node) -> bool:
    return isinstance(node, (Sym, Index)) or any(_has_symbol(child) for _, child in children(node))


def _plain_scalars(ns: Namespace) -> set[str]:
    """Declared numbers that are not steps or sizes (W_hh of a scalar RNN): a factor a student may add."""
    return {n for n, s in ns.symbols.items() if s.shape == () and not s.is_sequence and not s.integer}


def _shape(node: Node, ns: Namespace):
    symbol = ns.symbols.get(getattr(node, "name", ""))
    return None if symbol is None else symbol.shape


def _is(node: Node, value: float) -> bool:
    return isinstance(node, Num) and node.value == value


def _walk(node: Node, bound: tuple[str, ...], path: tuple = ()) -> Iterator[tuple[tuple, Node, tuple[str, ...]]]:
    """Every (path, node, sum variables bound there), parents before children, children in order: with a stack,
    not nested generators (each of which would pass every node below it up one more level)."""
    stack = [(path, node, bound)]
    while stack:
        path, node, bound = stack.pop()
        yield path, node, bound
        inner = bound + (node.var,) if isinstance(node, Sum) else bound
        stack.extend((path + (field,), child, inner if field == "body" and node.__class__ is Sum else bound)
                     for field, child in reversed(children(node)))


def _key(node: Node) -> Node:
    """A tree's identity for de-duplication (mutants are built without columns, so the tree itself)."""
    return node
