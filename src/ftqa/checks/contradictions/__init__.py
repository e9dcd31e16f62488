"""The `contradictions` checker: the same question answered two different ways.

`map` turns each row into features (`features`): 16-byte keys of the normalized prompt and
response (`ftqa.dedup`), and the prompt and the start and end of the response, clipped and
masked by the outbound layer. `reduce` signs each prompt (MinHash of its words, in batches) and
keeps the texts in a temporary file (`ftqa.semantic.TextStore`; about 2 kB per row on disk, 8
bytes in memory). At the end (`finish`):

1. **Preference data**: for one prompt, the chosen/rejected pairs form a graph; a cycle (A over
   B in one row, B over A in another, or longer) is `conflicting-preferences`.
2. **Labels** (classification data, and prompt/completion data whose completions form a small
   label set): the same normalized input with different labels is `conflicting-labels`.
3. **Answers** (everything else): candidate pairs come in tiers, cheapest first: identical
   normalized prompts; near-identical prompts (MinHash LSH over prompt words, `ftqa.dedup`);
   semantically equivalent prompts (embeddings, `ftqa.semantic`; only with the `semantic`
   extra). For each candidate pair the answers are compared (`ftqa.semantic.answers`): a
   refusal against a compliance is `inconsistent-refusal`; opposite yes/no, different final
   answers or headline numbers, or a negated headline are `conflicting-answers`. A pair whose
   prompts are not identical must also be the same question: no veto from
   `ftqa.semantic.questions` (different numbers, names, antonyms, negation) and either a word
   Jaccard of at least `lexical_threshold` over at least `min_words` distinct words, or a
   precise-model cosine of at least `paraphrase_threshold`. Identical prompts whose answers
   share no explicit conflict but are far apart in meaning (precise cosine below
   `divergence_threshold`) are `divergent-answers`.

Pairs are joined into groups (connected components); each group is one finding listing every
row, with the strongest pair's reason, both excerpts, how the prompts relate and a score
(how sure ftqa is that the prompts ask the same thing, times how sure it is the answers
conflict).

Modules: `options`, `features` (the per-row step), `edges` (a candidate pair and shared
helpers), `preferences` (preference cycles and labels), `tiers` (answer conflicts by tier),
`reporting` (groups become findings) and `checker` (the class that joins them).
"""

from ftqa.checks.contradictions.checker import ContradictionsChecker
from ftqa.checks.contradictions.options import ContradictionsOptions

__all__ = ["ContradictionsChecker", "ContradictionsOptions"]
