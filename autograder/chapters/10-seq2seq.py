"""Chapter 10 · Encoder-decoder and attention: what the exercise grades, and how its references are made.

* ``teacher_forcing_batch`` is compared with ``keras.utils.pad_sequences`` (``padding="post"``) of
  the sequences between the start and the end token: all but its last column are the decoder
  inputs, all but its first the decoder targets.
* ``dot_attention`` is compared with ``keras.layers.Attention()`` (dot-product scores, no scale)
  called as ``attention([query, values, keys], mask=[None, mask], return_attention_scores=True)``,
  built in float64; inputs are stored as float32 values, so the float32 and the float64 hidden
  tests compare with the same exact outputs.
* ``greedy_decode`` and ``beam_search`` get a step function as source text: a table of
  log-probabilities indexed by the position and the last token of the prefix. Their references
  are exact searches written below: greedy decoding, the beam search the exercise's docstring
  describes, and, for every case whose beam can hold every candidate, an exhaustive search over
  all outputs that the beam's answer must equal. Each reference is computed twice, with the
  candidates in opposite orders, and must not change: where a case has ties, no tie-breaking
  rule can change its answer (except greedy's, which the docstring fixes: the lowest token id).
"""

import itertools

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
from rnncourse.references import count

GRADED = {
    "teacher_forcing_batch": Graded(
        inputs=("sequences", "start", "end"), options=("pad",),
        outputs=(Output("decoder_inputs", compare="exact"), Output("decoder_targets", compare="exact"))),
    "dot_attention": Graded(
        inputs=("query", "keys", "values"), options=("mask",),
        outputs=(Output("context", axes=("batch", "query", "feature")),
                 Output("weights", axes=("batch", "query", "key")))),
    "greedy_decode": Graded(inputs=("step", "start", "end", "max_len"), functions=("step",),
                            outputs=(Output("tokens", compare="exact"),)),
    "beam_search": Graded(inputs=("step", "start", "end", "max_len", "width"), functions=("step",),
                          outputs=(Output("tokens", compare="exact"), Output("score"))),
}


# ------------------------------------------------------------------ teacher forcing


def teacher_forcing_cases(keras, rng):
    cases = []
    for lengths, start, end, pad, about in [
        ((3, 1, 4), 1, 2, None, "3 sequences of 3, 1 and 4 tokens"),
        ((5,), 1, 2, None, "one sequence of 5 tokens"),
        ((1,), 11, 12, None, "one sequence of one token"),
        ((2, 2, 2, 2), 1, 2, None, "4 sequences of the same length"),
        ((0, 3, 6), 1, 2, None, "an empty sequence among 3"),
        ((4, 2, 1), 10, 11, 12, "start 10, end 11, pad=12"),
        ((3, 5), 0, 1, -1, "start 0, end 1, pad=-1"),
    ]:
        sequences = [rng.integers(3, 10, size=n).astype(np.int64) for n in lengths]
        value = 0 if pad is None else pad
        tokens = keras.utils.pad_sequences([[start, *s, end] for s in sequences], padding="post", value=value,
                                           dtype="int64")
        inputs, targets = tokens[:, :-1], tokens[:, 1:]  # the targets, and the same shifted right
        case = dict(sequences=sequences, start=start, end=end, decoder_inputs=np.asarray(inputs),
                    decoder_targets=np.asarray(targets), description=about)
        if pad is not None:
            case["pad"] = pad
        cases.append(case)
    return cases


# ------------------------------------------------------------------ attention


def attention_cases(keras, rng):
    cases = []
    for batch, n_query, n_keys, dim, dim_v, masked, scale, about in [
        (1, 1, 1, 1, 1, None, 1.0, ""),
        (2, 3, 4, 5, 5, None, 1.0, ""),
        (3, 2, 6, 4, 3, None, 1.0, " (values of another size than the keys)"),
        (2, 4, 5, 3, 3, "padded", 1.0, " (padded keys masked)"),
        (3, 1, 7, 4, 2, "padded", 1.0, " (one query, padded keys masked)"),
        (2, 3, 5, 4, 4, "scattered", 1.0, " (a mask with holes)"),
        (2, 3, 4, 6, 6, None, 4.0, " (large scores: up to about 100)"),
        (2, 2, 1, 3, 3, "none masked", 1.0, " (one key, a mask of all True)"),
    ]:
        query = (scale * rng.normal(size=(batch, n_query, dim))).astype(np.float32)
        keys = (scale * rng.normal(size=(batch, n_keys, dim))).astype(np.float32)
        values = rng.normal(size=(batch, n_keys, dim_v)).astype(np.float32)
        if masked == "padded":  # each row keeps 1 .. n_keys keys, the rest padding at the end
            kept = rng.integers(1, n_keys + 1, size=batch)
            kept[0] = n_keys - 2
            mask = np.arange(n_keys)[None, :] < kept[:, None]
        elif masked == "scattered":
            mask = rng.random((batch, n_keys)) < 0.6
            mask[:, 0] = True
        elif masked == "none masked":
            mask = np.ones((batch, n_keys), bool)
        else:
            mask = None
        layer = keras.layers.Attention(dtype="float64")  # use_scale=False, score_mode="dot"
        args = [query.astype(np.float64), values.astype(np.float64), keys.astype(np.float64)]
        context, weights = layer(args, mask=[None, mask], return_attention_scores=True)
        case = dict(query=query, keys=keys, values=values, context=np.asarray(context),
                    weights=np.asarray(weights),
                    description=f"batch {batch}, {count(n_query, 'query', 'queries')}, "
                                f"{count(n_keys, 'key')} of size {dim}, values of size {dim_v}" + about)
        if mask is not None:
            case["mask"] = mask
        cases.append(case)
    return cases


# ------------------------------------------------------------------ decoding over a step function


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def step_source(table):
    """The step function of a log-probability table (position, last token, next token), as source text."""
    return f"lambda prefix: np.array({table.tolist()!r})[len(prefix) - 1, prefix[-1]]"


def step_of(table):
    return lambda prefix: table[len(prefix) - 1, prefix[-1]]


def greedy(step, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        prefix.append(int(np.argmax(step(prefix))))  # ties: the lowest token id
        if prefix[-1] == end:
            break
    return np.array(prefix[1:], dtype=np.int64)


def beam(step, start, end, max_len, width, reverse=False):
    """The exercise's beam search; ``reverse`` lists the candidates in the opposite order (for ties)."""
    order = (lambda items: items[::-1]) if reverse else (lambda items: items)
    live, finished = [([start], 0.0)], []
    for _ in range(max_len):
        candidates = order([(seq + [v], score + float(lp)) for seq, score in live for v, lp in enumerate(step(seq))])
        kept = sorted(candidates, key=lambda c: -c[1])[:width]  # a stable sort
        finished += [c for c in kept if c[0][-1] == end]
        live = [c for c in kept if c[0][-1] != end]
        if not live:
            break
    best = max(order(finished + live), key=lambda c: c[1] / (len(c[0]) - 1))
    return np.array(best[0][1:], dtype=np.int64), best[1] / (len(best[0]) - 1)


def exhaustive(step, start, end, max_len, vocab):
    """The output of highest mean log-probability among all outputs (ended by ``end``, or max_len long)."""
    best = None
    for n in range(1, max_len + 1):
        for tokens in itertools.product(range(vocab), repeat=n):
            if end in tokens[:-1] or (n < max_len and tokens[-1] != end):
                continue
            prefix, total = [start], 0.0
            for t in tokens:
                total += float(step(prefix)[t])
                prefix.append(t)
            if best is None or total / n > best[1]:
                best = (np.array(tokens, dtype=np.int64), total / n)
    return best


def random_table(rng, max_len, vocab, sharpness, end, end_bias):
    logits = sharpness * rng.normal(size=(max_len, vocab, vocab))
    logits[:, :, end] += end_bias  # how readily the outputs end
    return logits


def decoding_tables(rng):
    """(log-probability table, start, end, max_len, width, description) of each decoding case."""
    specs = []
    for max_len, vocab, sharpness, end_bias, width, about in [
        (5, 5, 1.5, 0.0, 3, "5 tokens, at most 5 steps"),
        (6, 6, 1.0, -0.5, 2, "6 tokens, at most 6 steps"),
        (4, 4, 2.0, 0.5, 2, "4 tokens, at most 4 steps"),
        (5, 7, 1.2, 0.0, 4, "7 tokens, at most 5 steps"),
        (6, 5, 1.0, -1.0, 3, "5 tokens, at most 6 steps, ends are rare"),
        (3, 4, 1.0, 0.0, 64, "4 tokens, at most 3 steps, a beam that holds every candidate"),
        (4, 3, 0.8, 0.0, 81, "3 tokens, at most 4 steps, a beam that holds every candidate"),
    ]:
        specs.append((random_table(rng, max_len, vocab, sharpness, 0, end_bias), 1, 0, max_len, width, about))
    one = random_table(rng, 1, 4, 1.0, 2, 0.0)
    specs.append((one, 1, 2, 1, 3, "max_len 1: one token"))
    ends = random_table(rng, 4, 5, 1.0, 0, 0.0)
    ends[0, 3, 0] = ends[0, 3].max() + 3.0  # the end token first: an empty output but for the end
    specs.append((ends, 3, 0, 4, 2, "the end token is the most probable first token"))
    tie = random_table(rng, 5, 5, 1.0, 0, -0.5)
    row = tie[0, 1]
    top = np.argsort(row)[::-1]
    row[min(top[:2])] = row[max(top[:2])] = row[top[0]] + 0.5  # two first tokens equally probable
    specs.append((tie, 1, 0, 5, 3, "two equally probable first tokens"))
    return [(log_softmax(t), *rest) for t, *rest in specs]


def decoding_cases(rng):
    greedy_cases, beam_cases = [], []
    beam_differs = exhaustive_differs = 0
    for table, start, end, max_len, width, about in decoding_tables(rng):
        step, source = step_of(table), step_source(table)
        common = dict(step=source, start=start, end=end, max_len=max_len)
        greedy_cases.append(dict(**common, tokens=greedy(step, start, end, max_len), description=about))
        tokens, score = beam(step, start, end, max_len, width)
        again = beam(step, start, end, max_len, width, reverse=True)
        assert np.array_equal(tokens, again[0]) and score == again[1], f"a tie decides the beam: {about}"
        vocab = table.shape[-1]
        best = exhaustive(step, start, end, max_len, vocab)
        if width >= vocab ** max_len:  # the beam holds every candidate: it must find the best output
            assert np.array_equal(tokens, best[0]) and np.isclose(score, best[1]), about
        beam_differs += not np.array_equal(tokens, greedy_cases[-1]["tokens"])
        exhaustive_differs += not np.array_equal(tokens, best[0])
        beam_cases.append(dict(**common, width=width, tokens=tokens, score=np.float64(score),
                               description=f"{about}, width {width}"))
    # the cases tell a beam from greedy decoding and from an exhaustive search
    assert beam_differs >= 2 and exhaustive_differs >= 1, (beam_differs, exhaustive_differs)
    return greedy_cases, beam_cases


def references(tf, keras, rng):
    greedy_cases, beam_cases = decoding_cases(rng)
    return {"teacher_forcing_batch": teacher_forcing_cases(keras, rng), "dot_attention": attention_cases(keras, rng),
            "greedy_decode": greedy_cases, "beam_search": beam_cases}


# ------------------------------------------------------------------ known mistakes (issue #17)
# Plausible wrong answers, each as a student would write it; the fixtures take their code from here.
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_TEACHER_FORCING = '''
def teacher_forcing_batch(sequences, start, end, pad=0):
    width = max(len(s) for s in sequences) + 1
    targets = np.full((len(sequences), width), pad, dtype=np.int64)
    for row, s in zip(targets, sequences):
        row[:len(s) + 1] = [*s, end]
    inputs = np.concatenate([np.full((len(sequences), 1), start, dtype=np.int64), targets[:, :-1]], axis=1)
    return inputs, targets
'''

CORRECT_ATTENTION = '''
def dot_attention(query, keys, values, mask=None):
    scores = query @ np.swapaxes(keys, 1, 2)
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ values, weights
'''

CORRECT_GREEDY = '''
def greedy_decode(step, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        token = int(np.argmax(step(prefix)))
        prefix.append(token)
        if token == end:
            break
    return np.array(prefix[1:], dtype=np.int64)
'''

CORRECT_BEAM = '''
def beam_search(step, start, end, max_len, width):
    beam, done = [([start], 0.0)], []
    for _ in range(max_len):
        candidates = [(prefix + [token], score + float(logp))
                      for prefix, score in beam for token, logp in enumerate(step(prefix))]
        candidates.sort(key=lambda candidate: candidate[1], reverse=True)
        beam = []
        for prefix, score in candidates[:width]:
            (done if prefix[-1] == end else beam).append((prefix, score))
        if not beam:
            break
    prefix, score = max(done + beam, key=lambda hypothesis: hypothesis[1] / (len(hypothesis[0]) - 1))
    return np.array(prefix[1:], dtype=np.int64), score / (len(prefix) - 1)
'''


MISTAKES = (
    Mistake('teacher_forcing_batch', 'tf_no_start',
            'Check the first token of each decoder input row: what does the decoder read before it has '
            'produced anything?',
            variant(CORRECT_TEACHER_FORCING,
                    '    inputs = np.concatenate([np.full((len(sequences), 1), start, dtype=np.int64), targets[:, :-1]], axis=1)\n',
                    '    inputs = targets.copy()\n')),
    Mistake('teacher_forcing_batch', 'tf_no_end',
            'Check the end of each target row: how will the decoder learn when to stop?',
            variant(variant(CORRECT_TEACHER_FORCING,
                            '    width = max(len(s) for s in sequences) + 1\n',
                            '    width = max(len(s) for s in sequences)\n'),
                    '        row[:len(s) + 1] = [*s, end]\n'
                    '    inputs = np.concatenate([np.full((len(sequences), 1), start, dtype=np.int64), targets[:, :-1]], axis=1)\n',
                    '        row[:len(s)] = s\n'
                    '    inputs = np.concatenate([np.full((len(sequences), 1), start, dtype=np.int64), targets], axis=1)[:, :-1]\n')),
    Mistake('teacher_forcing_batch', 'tf_pre_padding',
            'Check where the padding goes: each row should begin with its sequence.',
            '''
def teacher_forcing_batch(sequences, start, end, pad=0):
    rows = [[start] + list(s) + [end] for s in sequences]
    width = max(len(r) for r in rows)
    tokens = np.array([[pad] * (width - len(r)) + r for r in rows])
    return tokens[:, :-1], tokens[:, 1:]
'''),
    Mistake('teacher_forcing_batch', 'tf_pad_ignored',
            'Check the padding value: is the pad argument you are given used?',
            variant(CORRECT_TEACHER_FORCING,
                    '    targets = np.full((len(sequences), width), pad, dtype=np.int64)\n',
                    '    targets = np.full((len(sequences), width), 0, dtype=np.int64)\n')),
    Mistake('dot_attention', 'att_softmax_over_queries',
            "Check the axis of your softmax: each query's weights over the keys should add up to 1.",
            variant(CORRECT_ATTENTION,
                    '    scores = scores - scores.max(axis=-1, keepdims=True)\n'
                    '    weights = np.exp(scores)\n'
                    '    weights = weights / weights.sum(axis=-1, keepdims=True)\n',
                    '    scores = scores - scores.max(axis=1, keepdims=True)\n'
                    '    weights = np.exp(scores)\n'
                    '    weights = weights / weights.sum(axis=1, keepdims=True)\n')),
    Mistake('dot_attention', 'att_mask_after_softmax',
            'Check when the mask acts: applied after the softmax, the remaining weights no longer add up to '
            '1.',
            '''
def dot_attention(query, keys, values, mask=None):
    scores = query @ np.swapaxes(keys, 1, 2)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    if mask is not None:
        weights = weights * mask[:, None, :]
    return weights @ values, weights
'''),
    Mistake('dot_attention', 'att_scaled',
            'Check your scores: compare them with what keras.layers.Attention() computes with its default '
            "settings, not a Transformer's variant.",
            variant(CORRECT_ATTENTION,
                    '    scores = query @ np.swapaxes(keys, 1, 2)\n',
                    '    scores = query @ np.swapaxes(keys, 1, 2) / np.sqrt(query.shape[-1])\n')),
    Mistake('dot_attention', 'att_overflows',
            'With large scores your weights become NaN: np.exp of a large number overflows, and a softmax can'
            ' be computed so that np.exp never sees one.',
            variant(CORRECT_ATTENTION,
                    '    scores = scores - scores.max(axis=-1, keepdims=True)\n',
                    '')),
    Mistake('dot_attention', 'att_keys_values_swapped',
            'Check what the weights average: the context is a weighted sum of the values.',
            variant(CORRECT_ATTENTION,
                    '    return weights @ values, weights\n',
                    '    return weights @ keys, weights\n')),
    Mistake('greedy_decode', 'greedy_no_stop',
            'Check that decoding stops once the end token is produced.',
            variant(CORRECT_GREEDY,
                    '        if token == end:\n'
                    '            break\n',
                    '')),
    Mistake('greedy_decode', 'greedy_drops_end',
            'Check the end of your token list: the end token, once produced, belongs in it.',
            variant(variant(CORRECT_GREEDY,
                            '        prefix.append(token)\n',
                            ''),
                    '            break\n',
                    '            break\n'
                    '        prefix.append(token)\n')),
    Mistake('greedy_decode', 'greedy_last_of_ties',
            'Check how you break ties between equally probable tokens: which one does np.argmax pick?',
            variant(CORRECT_GREEDY,
                    '        token = int(np.argmax(step(prefix)))\n',
                    '        token = int(np.argsort(step(prefix))[-1])\n')),
    Mistake('greedy_decode', 'greedy_no_start',
            'If the error comes from the step function, look at the prefix you give it at the first step: '
            'what should it hold before anything is decoded?',
            variant(variant(CORRECT_GREEDY,
                            '    prefix = [start]\n',
                            '    prefix = []\n'),
                    '    return np.array(prefix[1:], dtype=np.int64)\n',
                    '    return np.array(prefix, dtype=np.int64)\n')),
    Mistake('beam_search', 'beam_last_step_scores',
            "Check a candidate's score: it adds up the log-probabilities of all its tokens, not just the last"
            ' one.',
            variant(CORRECT_BEAM,
                    '        candidates = [(prefix + [token], score + float(logp))\n',
                    '        candidates = [(prefix + [token], float(logp))\n')),
    Mistake('beam_search', 'beam_not_normalised',
            'Check how you compare finished candidates of different lengths: the total log-probability '
            'favours short ones.',
            variant(CORRECT_BEAM,
                    '    prefix, score = max(done + beam, key=lambda hypothesis: hypothesis[1] / (len(hypothesis[0]) - 1))\n'
                    '    return np.array(prefix[1:], dtype=np.int64), score / (len(prefix) - 1)\n',
                    '    prefix, score = max(done + beam, key=lambda hypothesis: hypothesis[1])\n'
                    '    return np.array(prefix[1:], dtype=np.int64), score\n')),
    Mistake('beam_search', 'beam_length_with_start',
            'Check the length you normalise by: does the start token count?',
            variant(CORRECT_BEAM,
                    '    prefix, score = max(done + beam, key=lambda hypothesis: hypothesis[1] / (len(hypothesis[0]) - 1))\n'
                    '    return np.array(prefix[1:], dtype=np.int64), score / (len(prefix) - 1)\n',
                    '    prefix, score = max(done + beam, key=lambda hypothesis: hypothesis[1] / len(hypothesis[0]))\n'
                    '    return np.array(prefix[1:], dtype=np.int64), score / len(prefix)\n')),
    Mistake('beam_search', 'beam_is_greedy',
            'Is the width used? Keeping only the best candidate at each step is greedy decoding.',
            '''
def beam_search(step, start, end, max_len, width):
    prefix, score = [start], 0.0
    for _ in range(max_len):
        logp = step(prefix)
        token = int(np.argmax(logp))
        prefix.append(token)
        score += float(logp[token])
        if token == end:
            break
    return np.array(prefix[1:]), score / (len(prefix) - 1)
'''),
)
