"""The `near_duplicates` checker: clusters of rows that are almost the same example.

Each row's scope (the whole example without system messages by default) is normalized (NFKC, case
folding) and cut into word n-grams (bigrams by default); a 128-permutation MinHash signature of that
set is kept per row (512 bytes; no text). At the end, LSH banding (bands x rows derived from the
threshold) proposes candidate pairs, each candidate is verified on its estimated Jaccard similarity,
and clusters form around representatives (`ftqa.dedup.representatives`): a row joins the earliest-
best kept row it is similar to AND answers the same as, never a chain of pairs, so every member is
within the threshold of the kept row, and removing the others removes only rows that say what it
says. The prompt and the answer must each agree too: equal after normalization, or the same numbers
and yes/no with that side's own word n-gram similarity at the threshold; a different label, number
or yes/no never agrees, nor does another short question that shares a long answer. Clusters whose
rows are all exact copies of one another are left to the `duplicates` checker. Training and
validation rows are clustered separately.
"""

from ftqa.checks.near_duplicates.checker import NearDuplicatesChecker, NearDuplicatesOptions

__all__ = ["NearDuplicatesChecker", "NearDuplicatesOptions"]
