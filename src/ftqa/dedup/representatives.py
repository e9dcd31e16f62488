"""Near-duplicate clusters around representatives, never joined transitively.

Joining every verified pair (union-find) lets a chain A~B~C~… pull in rows that share little with
the row that is kept. Here a cluster is a kept row (its representative) and rows that are each close
to THAT row: rows are taken in file order; a row joins the earliest-best representative whose
estimated similarity to it reaches the threshold AND whose prompt and answer each agree with its own
(`ftqa.dedup.sides`: equal after normalization, or the same numbers and yes/no and that side's own
similarity reaches the threshold); otherwise it becomes a representative itself. So the threshold a
cluster states holds for every member, and removing every member but the representative removes only
rows that say what a kept row says. Rows with the same prompt and a different answer are a
contradiction to report, never a duplicate to delete.

Work is linear in rows plus verified pairs: rows with identical signatures and the same answer form
one class handled once, and only classes with verified neighbours are looked at one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ftqa.dedup import minhash
from ftqa.dedup.sides import Sides


@dataclass
class Representatives:
    labels: np.ndarray  # each row's representative (a row index; itself for representatives)
    similarity: np.ndarray  # each row's estimated similarity to its representative
    pairs: int  # verified pairs between distinct signatures
    candidates: int
    different_answers: int  # rows close to a representative whose prompt or answer differs


def representative_clusters(
    sigs: np.ndarray,
    has: np.ndarray,
    sides: Sides,
    params: minhash.MinHashParams,
    partition: np.ndarray | None = None,
) -> Representatives:
    """`sigs` (rows, num_perm) MinHash signatures of what is compared, `has` rows that have one,
    `sides` what must also agree, `partition` groups of rows never compared with each other."""
    count = len(sigs)
    labels = np.arange(count, dtype=np.int64)
    similarity = np.ones(count, dtype=np.float32)
    if count == 0:
        return Representatives(labels, similarity, 0, 0, 0)
    groups = np.where(has, minhash.signature_groups(sigs, partition), labels)
    leaders = np.flatnonzero(has & (groups == labels))
    bands, rows_per_band = params.shape
    candidates = minhash.candidate_pairs(sigs, bands, rows_per_band, leaders, partition)
    sims = minhash.similarity(sigs, candidates)
    keep = sims >= np.float32(params.threshold) - np.float32(1e-6)
    pairs, pair_sims = candidates[keep], sims[keep]

    # Classes: rows with the same signature group and the same exact sides; first row leads.
    keyed = np.empty((count, 5), dtype=np.uint64)
    keyed[:, 0] = groups.astype(np.uint64)
    keyed[:, 1:3] = sides.answer.class_keys()
    keyed[:, 3:] = sides.prompt.class_keys()
    view = np.ascontiguousarray(keyed).view(np.dtype((np.void, 40))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    class_leader = first.astype(np.int64)
    row_class = inverse.ravel()
    class_rep = np.arange(len(class_leader), dtype=np.int64)
    class_sim = np.ones(len(class_leader), dtype=np.float32)
    different = _assign(pairs, pair_sims, groups, sides, class_leader, class_rep, class_sim)
    labels = class_leader[class_rep[row_class]]
    similarity = class_sim[row_class]
    return Representatives(labels, similarity, len(pairs), len(candidates), different)


def _assign(
    pairs: np.ndarray,
    pair_sims: np.ndarray,
    groups: np.ndarray,
    sides: Sides,
    class_leader: np.ndarray,
    class_rep: np.ndarray,
    class_sim: np.ndarray,
) -> int:
    """Greedy assignment, in file order, of the classes that have anything to join (verified
    neighbours, or another class with the same signature); fills `class_rep` / `class_sim`.
    Returns how many classes were close to a representative whose prompt or answer differs."""
    neighbours: dict[int, list[tuple[int, float]]] = {}
    for (source, target), value in zip(pairs.tolist(), pair_sims.tolist(), strict=True):
        neighbours.setdefault(source, []).append((target, value))
        neighbours.setdefault(target, []).append((source, value))
    class_group = groups[class_leader]
    _, per_group = np.unique(class_group, return_counts=True)
    shared = np.unique(class_group)[per_group > 1]
    busy = np.union1d(np.fromiter(neighbours, np.int64, len(neighbours)), shared)
    todo = np.flatnonzero(np.isin(class_group, busy))
    todo = todo[np.argsort(class_leader[todo], kind="stable")]
    reps_in: dict[int, list[int]] = {}
    different = 0
    for klass in todo.tolist():
        leader = int(class_leader[klass])
        group = int(class_group[klass])
        best: tuple[float, int, int] | None = None  # (similarity, -leader row, class)
        near_other_answer = False
        for neighbour, value in [(group, 1.0), *neighbours.get(group, ())]:
            for rep in reps_in.get(neighbour, ()):
                rep_leader = int(class_leader[rep])
                if not sides.agree(leader, rep_leader):
                    near_other_answer = True
                    continue
                option = (value, -rep_leader, rep)
                if best is None or option[:2] > best[:2]:
                    best = option
        if best is None:
            reps_in.setdefault(group, []).append(klass)
            different += near_other_answer
        else:
            class_rep[klass] = best[2]
            class_sim[klass] = best[0]
    return different
