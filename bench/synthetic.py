"""A synthetic class for the seed homework: realistic answers, right and wrong, and some broken files.

Each part draws from what students actually write (the example class and the tests'
notations): right answers in several spellings, the common mistakes, unreadable answers,
missing ones. Numbers computed by hand get their own rounding; free text is assembled from
sentences, so most discussions differ. About 2% of files are malformed YAML or JSON.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

CHOICES = {
    "q1a": [("b, c", 40), (["b", "c"], 20), ("ب و ج", 15), ("b", 8), ("a, b, c", 6), ("B, C", 5), ("c", 3),
            ("e", 1), ("", 2)],
    "q1b": [("c", 50), ("ج", 20), ("(c)", 5), ("d", 10), ("a", 8), ("option c", 5), ("", 2)],
    "q1c": [("c", 55), ("ج", 15), ("C", 5), ("d", 12), ("b", 8), ("گزینه ج", 3), ("", 2)],
}
EXPRESSIONS = {
    "q2a": [("sigma'(z_t) h_{t-1}", 30), (r"\sigma'(z_t) h_{t-1}", 15), ("h_t (1 - h_t) h_{t-1}", 10),
            (r"\frac{\partial h_t}{\partial W_{hh}} = \sigma'(z_t) \times h_{t-1}", 8), ("σ′(zₜ) hₜ₋₁", 4),
            ("sigma(z_t) h_{t-1}", 10), ("h_{t-1}", 6), ("sigma'(z_t) x_t", 5), ("W_h h_{t-1}", 3), ("", 9)],
    "q2b": [("sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}", 25), (r"\sum_{i=1}^{t} g_{t,i} \sigma'(z_i) h_{i-1}", 15),
            ("sum(i, 1, t, g_{t,i} * h_i * (1 - h_i) * h_{i-1})", 5),
            (r"\sum_{i=1}^t g_{t,i} \times \sigma'(z_t) \times h_{i-1}", 20), ("g_{t,t} sigma'(z_t) h_{t-1}", 10),
            ("sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_i", 8), ("-sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}", 3),
            ("", 14)],
    "q2c": [(r"\sum_{t=1}^{T} G_t", 40), ("sum_{t=1}^{T} sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}", 10),
            ("G_T", 15), ("G_t", 10), ("2 sum_{t=1}^T G_t", 3), ("", 22)],
    "q2d": [(r"\sum_{i=1}^{t} \left(g_{t,i} \odot \sigma'(z_i)\right) h_{i-1}^\top", 20),
            ("sum_{i=1}^{t} outer(g_{t,i} ⊙ σ'(z_i), h_{i-1})", 8),
            (r"\sum_{i=1}^{t} \mathrm{diag}(\sigma'(z_i)) g_{t,i} h_{i-1}^T", 5),
            (r"\sum_{i=1}^{t} g_{t,i} \sigma'(z_i) h_{i-1}", 15),
            (r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_t)) h_{i-1}^\top", 12),
            (r"\sum_{i=1}^{t} h_{i-1} (g_{t,i} \odot \sigma'(z_i))^T", 5), ("", 35)],
}
Q3A = [("[6, 1, 2]", 40), ([6, 1, 2], 15), ("6 1 2", 8), ("۶ ۱ ۲", 3), ([0, 2, 4], 8), ("-2 3 0 6", 6),
       ("[0 0 0 1]", 4), ("[0, -1, 4]", 5), ("soft", 6), ("3", 2), ("", 3)]
SENTENCES = [
    "Argmax is not differentiable, so no gradient flows back through the selection.",
    "The gradient with respect to the scores is zero almost everywhere.",
    "Because of that the queries and keys never learn anything.",
    "Only the selected value receives a gradient.",
    "Hard attention is cheaper to compute than soft attention.",
    "It is also easier to interpret, since the weights are 0 or 1.",
    "Training becomes unstable and convergence is slow.",
    "Softmax gives a smooth distribution that we can differentiate.",
    "تابع argmax مشتق‌پذیر نیست و گرادیان آن تقریبا همه جا صفر است.",
    "کلیدها و پرس‌وجوها یاد نمی‌گیرند.",
    "I think the model still learns, just more slowly.",
]
NAMES = ["Sara Ahmadi", "Reza Karimi", "مریم حسینی", "Ali Moradi", "Neda Rahimi", "Omid Tehrani", "Lena Fischer",
         "Jean Dupont", "Priya Nair", "Chen Wei", "Zahra Kazemi", "O'Brien, Kate"]


def _pick(rng: random.Random, pool: list[tuple[object, int]]) -> object:
    values, weights = zip(*pool)
    return rng.choices(values, weights)[0]


def answers(rng: random.Random) -> dict[str, object]:
    out: dict[str, object] = {}
    for part, pool in CHOICES.items():
        out[part] = _pick(rng, pool)
    for part, pool in EXPRESSIONS.items():
        out[part] = _pick(rng, pool)
    q3a = _pick(rng, Q3A)
    if q3a == "soft":  # soft attention, rounded by hand to 2 or 3 decimals
        digits = rng.choice([2, 3])
        q3a = [round(v, digits) for v in (5.74810053, 1.13686877, 2.05169014)]
    out["q3a"] = q3a
    out["q3b"] = " ".join(rng.sample(SENTENCES, rng.randint(0, 4)))
    return {k: v for k, v in out.items() if v != ""}


def write_class(folder: Path, n: int, seed: int = 1) -> list[Path]:
    """``n`` submission files in ``folder`` (YAML and some JSON), about 2% of them malformed."""
    import yaml

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        record = {"assignment": "rnn-attention", "student": f"9{i:07d}", "name": rng.choice(NAMES),
                  "answers": answers(rng)}
        if rng.random() < 0.2:
            path = folder / f"{i:06d}.json"
            text = json.dumps(record, ensure_ascii=False, indent=1)
        else:
            path = folder / f"{i:06d}.yaml"
            text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
        if rng.random() < 0.02:  # broken: a tab, or a bracket never closed
            text = text.replace("\n  q1b", "\n\tq1b", 1) if path.suffix == ".yaml" else text[:-5]
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
